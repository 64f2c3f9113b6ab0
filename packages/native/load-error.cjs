'use strict';
// Turns the dynamic loader's errors, which the napi-rs loader (index.js)
// gathers in its error's `cause` chain, into one error that says what to
// install: a missing GStreamer/GLib library, a GStreamer older than the API
// the addon calls, a glibc older than it was linked against, or no addon for
// this platform at all. Anything else is passed on as it came.
const { existsSync, realpathSync } = require('fs');
const path = require('path');

/** The GStreamer API the addon calls (scripts/check-addon.mjs checks the build against it). */
const MIN_GSTREAMER = '1.20';
/** The glibc each prebuilt addon is linked against (scripts/check-addon.mjs). */
const MIN_GLIBC = { x64: '2.35', arm64: '2.17' };

// The runtime packages by distribution; the -0 libraries come with the
// plugin sets, named too because the addon needs their elements at run time.
const RUNTIME = 'gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav';
const PACKAGES = {
  gstreamer: {
    debian: `libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 ${RUNTIME}`,
    fedora: 'gstreamer1 gstreamer1-plugins-base gstreamer1-plugins-good gstreamer1-plugins-bad-free',
  },
  glib: { debian: 'libglib2.0-0 (libglib2.0-0t64 on Ubuntu 24.04)', fedora: 'glib2' },
};
const LIBRARIES = {
  'libgstreamer-1.0.so.0': 'gstreamer',
  'libgstbase-1.0.so.0': 'gstreamer',
  'libgstvideo-1.0.so.0': 'gstreamer',
  'libgstapp-1.0.so.0': 'gstreamer',
  'libglib-2.0.so.0': 'glib',
  'libgobject-2.0.so.0': 'glib',
  'libgio-2.0.so.0': 'glib',
};

function messages(error) {
  const out = [];
  for (let e = error, depth = 0; e && depth < 32; e = e.cause, depth++) {
    out.push(typeof e.message === 'string' ? e.message : String(e));
  }
  return out;
}

/** The installed GStreamer's version, read from its library's file name (libgstreamer-1.0.so.0.2200.0 → 1.22.0). */
function installedGstreamer() {
  const dirs = [`/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/lib64', '/usr/lib', '/lib'];
  for (const dir of dirs) {
    const lib = path.join(dir, 'libgstreamer-1.0.so.0');
    if (!existsSync(lib)) continue;
    const file = realpathSync(lib);
    const m = /\.so\.0\.(\d+)(\d\d)\.(\d+)$/.exec(file);
    return m ? `1.${Number(m[1])}.${m[3]} (${file})` : file;
  }
  return undefined;
}

function installHelp(kind) {
  const p = PACKAGES[kind];
  return [
    `  Debian 12 / Ubuntu 22.04 and later: sudo apt-get install ${p.debian}`,
    `  Jetson (JetPack 6, Ubuntu 22.04): the same apt-get line; JetPack's own nvv4l2decoder/nvv4l2h264enc come with nvidia-l4t-gstreamer`,
    `  Fedora: sudo dnf install ${p.fedora}`,
  ].join('\n');
}

function typed(code, message, cause, extra) {
  const error = new Error(message);
  error.name = 'ProjLoadError';
  error.code = code;
  error.cause = cause;
  return Object.assign(error, extra);
}

/** The error to throw instead of `error`, which loading the addon threw. */
function explainLoadError(error) {
  const all = messages(error);
  const text = all.join('\n');
  const floor = `@proj needs GStreamer ${MIN_GSTREAMER} or later (JetPack 6, Ubuntu 22.04, Debian 12)`;

  const missing = /(lib[\w+.-]+\.so[\d.]*): cannot open shared object file/.exec(text);
  if (missing && LIBRARIES[missing[1]]) {
    const kind = LIBRARIES[missing[1]];
    return typed(
      kind === 'gstreamer' ? 'ERR_PROJ_GSTREAMER_MISSING' : 'ERR_PROJ_GLIB_MISSING',
      `@proj/native cannot load: ${missing[1]} is not installed.\n${floor}.\nInstall it with:\n${installHelp(kind)}`,
      error,
      { library: missing[1], minVersion: MIN_GSTREAMER },
    );
  }
  const symbol = /undefined symbol: ((?:gst|g)_\w+)/.exec(text);
  if (symbol) {
    const found = installedGstreamer();
    return typed(
      'ERR_PROJ_GSTREAMER_TOO_OLD',
      `@proj/native cannot load: the GStreamer/GLib here lacks ${symbol[1]}, which the addon calls.\n` +
        `${floor}${found ? `; this machine has GStreamer ${found}` : ''}. ` +
        `JetPack 5 (Ubuntu 20.04, GStreamer 1.16) is not supported.\nUpgrade with:\n${installHelp('gstreamer')}`,
      error,
      { symbol: symbol[1], minVersion: MIN_GSTREAMER, ...(found ? { found } : {}) },
    );
  }
  const glibc = /version `GLIBC_([\d.]+)' not found/.exec(text);
  if (glibc) {
    return typed(
      'ERR_PROJ_GLIBC_TOO_OLD',
      `@proj/native cannot load: it needs glibc ${glibc[1]} (the ${process.arch} build needs ${MIN_GLIBC[process.arch] ?? glibc[1]} or later), ` +
        `older here. Supported: Debian 12, Ubuntu 22.04 and later, JetPack 6.`,
      error,
      { minVersion: MIN_GLIBC[process.arch] ?? glibc[1] },
    );
  }
  if (all.every((m) => /Cannot find (module|native binding)|Unsupported (OS|architecture)/.test(m))) {
    const platform = `${process.platform}-${process.arch}`;
    return typed(
      'ERR_PROJ_NO_PREBUILT',
      `@proj/native has no addon for ${platform}: prebuilt ones exist for linux-x64-gnu and linux-arm64-gnu (glibc). ` +
        `Reinstall without --no-optional/--omit=optional so that @proj/native-${platform}-gnu is installed, or build it from source (README).`,
      error,
      { platform },
    );
  }
  return error;
}

module.exports = { explainLoadError, MIN_GSTREAMER, MIN_GLIBC };
