#!/usr/bin/env node
// Checks what a built addon needs from the machine it will load on, from its
// ELF headers (readelf), and fails when that is more than we document:
//   - the newest glibc symbol version it imports (--glibc, e.g. 2.17);
//   - the newest GStreamer API it calls (--gstreamer, e.g. 1.20). GStreamer's
//     symbols carry no version, so each imported gst_* function is looked up
//     in GStreamer's introspection data (/usr/share/gir-1.0/Gst*.gir, from the
//     -dev packages), whose `version` attribute says since when it exists;
//   - no RPATH/RUNPATH (the system's libraries are the ones to load).
// Usage: check-addon.mjs ADDON [--readelf BIN] [--glibc X.Y] [--gstreamer 1.N]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const addon = args[0];
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (!addon) {
  console.error('usage: check-addon.mjs ADDON [--readelf BIN] [--glibc X.Y] [--gstreamer 1.N]');
  process.exit(2);
}
const readelf = option('readelf', 'readelf');
const maxGlibc = option('glibc');
const maxGst = option('gstreamer');
const girDir = option('gir', '/usr/share/gir-1.0');

const elf = (...flags) => execFileSync(readelf, [...flags, '--wide', addon], { encoding: 'utf8', maxBuffer: 1 << 28 });
const newer = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
};
const newest = (versions) => versions.reduce((a, b) => (newer(b, a) ? b : a), '0');

const problems = [];
const machine = /Machine:\s*(.+)/.exec(elf('-h'))?.[1].trim();
const dynamic = elf('-d');
const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
console.log(`${addon}: ${machine}`);
console.log(`  needs: ${needed.join(' ')}`);
if (/\((RPATH|RUNPATH)\)/.test(dynamic)) problems.push('it has an RPATH/RUNPATH');

const glibc = newest([...elf('-V').matchAll(/GLIBC_([0-9.]+)/g)].map((m) => m[1]));
console.log(`  newest glibc symbol version: GLIBC_${glibc}`);
if (maxGlibc && newer(glibc, maxGlibc)) problems.push(`it needs GLIBC_${glibc}, more than ${maxGlibc}`);

// Every function GStreamer's introspection data gives a version, by C name.
const since = new Map();
for (const file of readdirSync(girDir).filter((f) => /^Gst.*\.gir$/.test(f))) {
  const gir = readFileSync(join(girDir, file), 'utf8');
  for (const [tag] of gir.matchAll(/<(?:function|method|constructor|class|record|interface|enumeration|bitfield)\b[^>]*>/g)) {
    const symbol = /(?:c:identifier|glib:get-type)="([^"]+)"/.exec(tag)?.[1];
    if (symbol) since.set(symbol, /\sversion="([^"]+)"/.exec(tag)?.[1] ?? '1.0');
  }
}
const imported = [...elf('--dyn-syms').matchAll(/\sUND\s+(gst_\w+)/g)].map((m) => m[1]);
const unknown = imported.filter((s) => !since.has(s));
const gst = newest(imported.filter((s) => since.has(s)).map((s) => since.get(s)));
const byVersion = new Map();
for (const s of imported) {
  const v = since.get(s);
  if (v && !newer('1.16', v)) byVersion.set(v, [...(byVersion.get(v) ?? []), s]);
}
console.log(`  GStreamer: ${imported.length} functions imported, the newest from ${gst}`);
for (const [v, symbols] of [...byVersion].sort((a, b) => (newer(a[0], b[0]) ? -1 : 1))) {
  console.log(`    ${v}: ${symbols.sort().join(' ')}`);
}
if (unknown.length) console.log(`    not in the introspection data (assumed old): ${unknown.join(' ')}`);
if (since.size === 0) problems.push(`no GStreamer introspection data under ${girDir}`);
if (maxGst && newer(gst, maxGst)) problems.push(`it calls GStreamer ${gst} API, newer than ${maxGst}`);

for (const p of problems) console.error(`check-addon: ${addon}: ${p}`);
process.exit(problems.length ? 1 : 0);
