#!/usr/bin/env node
// Packs the packages as users install them, one tarball each, into
// out/pack (or --out DIR):
//   @proj/native                 the loader, index.d.ts, README, licence and
//                                third-party notices, with the platform
//                                packages as optionalDependencies;
//   @proj/native-linux-x64-gnu,  the addon (stripped; it embeds the DejaVu
//   @proj/native-linux-arm64-gnu font, whose licence is in the notices), for
//                                each platform whose addon is built;
//   @proj/gstreamer, @proj/deepstream, @proj/picasso
//                                ESM (dist/) and CommonJS (dist/cjs/) with
//                                their .d.ts, README and licence, their
//                                workspace:* dependencies pinned.
// Run after the builds (scripts/setup.sh; scripts/build-arm64.sh for arm64).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg >= 0 ? process.argv[outArg + 1] : join(root, 'out/pack'));
const stageRoot = join(out, 'stage');
rmSync(out, { recursive: true, force: true });
mkdirSync(stageRoot, { recursive: true });

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const platforms = [
  { arch: 'x64', strip: 'strip' },
  { arch: 'arm64', strip: 'aarch64-linux-gnu-strip' },
];
const native = join(root, 'packages/native');
const version = readJson(join(native, 'package.json')).version;
const versions = Object.fromEntries(
  ['native', 'gstreamer', 'deepstream', 'picasso'].map((p) => [`@proj/${p}`, readJson(join(root, 'packages', p, 'package.json')).version]),
);

/** Writes `manifest` and copies `files` (name → source path) into a stage folder, then npm-packs it. */
function pack(name, manifest, files) {
  const stage = join(stageRoot, name.replace('@proj/', ''));
  mkdirSync(stage);
  for (const [to, from] of Object.entries(files)) {
    if (!existsSync(from)) throw new Error(`pack ${name}: ${from} is missing (build first)`);
    cpSync(from, join(stage, to), { recursive: true, filter: (src) => !src.endsWith('.map') });
  }
  const { scripts, devDependencies, typesVersions, ...rest } = manifest;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ ...rest, ...(typesVersions ? { typesVersions } : {}) }, null, 2)}\n`);
  const [result] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }));
  console.log(`${result.filename}  ${(result.size / 2 ** 20).toFixed(1)} MiB packed, ${result.entryCount} files`);
  return result;
}

const shipped = (dir) => ({ 'README.md': join(dir, 'README.md'), LICENSE: join(root, 'LICENSE') });

for (const { arch, strip } of platforms) {
  const addon = join(native, `native.linux-${arch}-gnu.node`);
  if (!existsSync(addon)) {
    console.log(`(no ${addon}: @proj/native-linux-${arch}-gnu not packed)`);
    continue;
  }
  const dir = join(native, `npm/linux-${arch}-gnu`);
  const stripped = join(stageRoot, `native.linux-${arch}-gnu.node`);
  execFileSync(strip, ['--strip-unneeded', '-o', stripped, addon]);
  pack(`@proj/native-linux-${arch}-gnu`, readJson(join(dir, 'package.json')), {
    ...shipped(dir),
    'THIRD-PARTY-NOTICES.md': join(native, 'THIRD-PARTY-NOTICES.md'),
    [`native.linux-${arch}-gnu.node`]: stripped,
  });
}

const nativeManifest = readJson(join(native, 'package.json'));
pack('@proj/native', {
  ...nativeManifest,
  optionalDependencies: Object.fromEntries(platforms.map(({ arch }) => [`@proj/native-linux-${arch}-gnu`, version])),
}, Object.fromEntries(nativeManifest.files.map((f) => [f, f === 'LICENSE' ? join(root, 'LICENSE') : join(native, f)])));

for (const name of ['gstreamer', 'deepstream', 'picasso']) {
  const dir = join(root, 'packages', name);
  const manifest = readJson(join(dir, 'package.json'));
  const dependencies = Object.fromEntries(
    Object.entries(manifest.dependencies ?? {}).map(([dep, range]) => [dep, range.startsWith('workspace:') ? versions[dep] : range]),
  );
  pack(`@proj/${name}`, { ...manifest, dependencies }, { ...shipped(dir), dist: join(dir, 'dist') });
}
rmSync(stageRoot, { recursive: true });
