// What a user sees when the addon cannot load: the machine lacks GStreamer,
// has one older than the API the addon calls, or has no addon for its
// platform. The libraries are really hidden (a private mount namespace over
// the system's library folder) or really too old (a libgstvideo that lacks
// what GStreamer 1.16's lacks), and the message must say what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const nativeDir = resolve(here, '..');
const gstreamerDist = resolve(here, '../../gstreamer/dist/index.js');
const require = createRequire(import.meta.url);
const { explainLoadError } = require('../load-error.cjs') as { explainLoadError: (e: Error) => Error & Record<string, unknown> };
const multiarch = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
const addon = join(nativeDir, `native.linux-${process.arch}-gnu.node`);

/** Runs `script` in a fresh Node (after `launcher`, if any) and returns what it reported: the error it caught, or `{ loaded: true }`. */
function loadIn(script: string, launcher: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  const [command, ...args] = [...launcher, process.execPath, '--input-type=module', '-e', script];
  const r = spawnSync(command!, args, { encoding: 'utf8', env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`child said: ${r.stdout}\n${r.stderr}`);
  return JSON.parse(line) as { code?: string; name?: string; message: string; library?: string; symbol?: string; minVersion?: string } | { loaded: true };
}
/** A child's statement that requires the package in `dir` the way a CommonJS user does. */
const requireIn = (dir: string) => `(await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(dir)})`;
const report = (what: string) => `
  try { ${what}; console.log(JSON.stringify({ loaded: true })); }
  catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message, library: e.library, symbol: e.symbol, minVersion: e.minVersion })); }`;

// A private mount namespace needs CAP_SYS_ADMIN (root in CI and here).
const namespaces = spawnSync('unshare', ['-m', 'true']).status === 0;

describe('the addon cannot load', () => {
  it.skipIf(!namespaces)('without GStreamer: names the library, the minimum version and the packages', () => {
    // The library folder, as it is but without libgst*: a tmpfs of links to
    // everything else, in this child's mount namespace only.
    const hide = `keep=$(mktemp -d) view=$(mktemp -d) && mount --bind ${multiarch} "$keep" && mount -t tmpfs tmpfs "$view" &&
      for f in "$keep"/*; do case "\${f##*/}" in libgst*) ;; *) ln -s "$f" "$view"/ ;; esac; done &&
      mount --bind "$view" ${multiarch} && exec "$@"`;
    const launcher = ['unshare', '-m', 'sh', '-c', hide, 'hide'];
    for (const [what, load] of [
      ['require(@proj/native)', requireIn(nativeDir)],
      ['import(@proj/gstreamer)', `await import(${JSON.stringify(gstreamerDist)})`],
    ] as const) {
      const e = loadIn(report(load), launcher);
      expect(e, what).toMatchObject({ code: 'ERR_PROJ_GSTREAMER_MISSING', name: 'ProjLoadError', minVersion: '1.20' });
      if (!('message' in e)) throw new Error('loaded');
      expect(e.library).toMatch(/^libgst\w*-1\.0\.so\.0$/);
      expect(e.message).toContain(`${e.library} is not installed`);
      expect(e.message).toContain('GStreamer 1.20 or later');
      expect(e.message).toContain('apt-get install libgstreamer1.0-0 libgstreamer-plugins-base1.0-0');
      expect(e.message).toMatch(/JetPack 6/);
      expect(e.message).toMatch(/dnf install gstreamer1/);
    }
    // The same Node outside the namespace loads it: the libraries were all that was missing.
    expect(loadIn(report(requireIn(nativeDir)))).toEqual({ loaded: true });
  });

  it('with a GStreamer older than 1.18: names the function it lacks and the minimum version', () => {
    // A libgstvideo with every function the addon takes from the real one but
    // gst_video_format_info_component, which came in 1.18 (GStreamer 1.16's,
    // as on JetPack 5, lacks it), found first through LD_LIBRARY_PATH.
    const imported = execFileSync('readelf', ['--dyn-syms', '--wide', addon], { encoding: 'utf8' });
    const wanted = new Set([...imported.matchAll(/\sUND\s+(gst_video_\w+)/g)].map((m) => m[1]));
    const real = execFileSync('nm', ['-D', '--defined-only', `${multiarch}/libgstvideo-1.0.so.0`], { encoding: 'utf8' });
    const stubs = [...real.matchAll(/ T (gst_video_\w+)$/gm)].map((m) => m[1] as string).filter((s) => wanted.has(s) && s !== 'gst_video_format_info_component');
    expect(wanted.has('gst_video_format_info_component')).toBe(true);
    expect(stubs.length).toBe(wanted.size - 1);
    const dir = mkdtempSync(join(tmpdir(), 'old-gstvideo-'));
    writeFileSync(join(dir, 'stub.c'), stubs.map((s) => `void ${s}(void) {}\n`).join(''));
    // Under emulation (scripts/arm64/run.sh sets PROJ_EMULATED) the stub is built for aarch64 too.
    const cc = process.env.PROJ_EMULATED && process.arch === 'arm64' ? 'aarch64-linux-gnu-gcc' : 'gcc';
    execFileSync(cc, ['-shared', '-fPIC', '-Wl,-soname,libgstvideo-1.0.so.0', '-o', join(dir, 'libgstvideo-1.0.so.0'), join(dir, 'stub.c')]);

    const e = loadIn(report(requireIn(nativeDir)), [], {
      ...process.env,
      LD_LIBRARY_PATH: dir,
    });
    expect(e).toMatchObject({ code: 'ERR_PROJ_GSTREAMER_TOO_OLD', symbol: 'gst_video_format_info_component', minVersion: '1.20' });
    if (!('message' in e)) throw new Error('loaded');
    expect(e.message).toContain('lacks gst_video_format_info_component');
    expect(e.message).toContain('GStreamer 1.20 or later');
    expect(e.message).toContain('JetPack 5 (Ubuntu 20.04, GStreamer 1.16) is not supported');
    expect(e.message).toContain('apt-get install libgstreamer1.0-0');
  });

  it('without an addon for the platform: says which prebuilt ones exist', () => {
    // The package as npm leaves it with --omit=optional: the loader, no addon.
    const dir = mkdtempSync(join(tmpdir(), 'no-addon-'));
    for (const f of ['loader.cjs', 'load-error.cjs', 'index.js', 'package.json']) cpSync(join(nativeDir, f), join(dir, f));
    const e = loadIn(report(requireIn(dir)));
    expect(e).toMatchObject({ code: 'ERR_PROJ_NO_PREBUILT' });
    if (!('message' in e)) throw new Error('loaded');
    expect(e.message).toContain(`no addon for linux-${process.arch}`);
    expect(e.message).toContain('linux-x64-gnu and linux-arm64-gnu');
  });

  it('with a glibc older than the build: says which it needs', () => {
    // ld.so's own words; no older glibc can be installed here to make them.
    const raw = new Error(`/lib/${multiarch.split('/').pop()}/libc.so.6: version \`GLIBC_2.35' not found (required by ${addon})`);
    const e = explainLoadError(Object.assign(new Error('Cannot find native binding.'), { cause: raw }));
    expect(e).toMatchObject({ code: 'ERR_PROJ_GLIBC_TOO_OLD' });
    expect(e.message).toContain('needs glibc 2.35');
    expect(e.cause).toBeDefined();
  });

  it('for anything else: the original error, untouched', () => {
    const raw = new Error('something else entirely');
    expect(explainLoadError(raw)).toBe(raw);
  });
});
