#!/usr/bin/env bash
# Runs an aarch64 Node under qemu-user: run.sh ARM64_NODE_BIN ARGS...
# Its children run under qemu too (execpath-preload.cjs), so vitest's fork
# pool and tests that spawn process.execPath work without binfmt_misc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export ARM64_NODE_BIN=$(realpath "$1")
shift
export ARM64_NODE_WRAPPER="$here/node"
export NODE_OPTIONS="--require=$here/execpath-preload.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}"
# aarch64 GStreamer cannot exec its own (aarch64) gst-plugin-scanner without
# binfmt_misc: it scans plugins in-process instead.
export GST_REGISTRY_FORK=no
# Tests that must know (test/support/tools.ts: fewer repeats of the slowest,
# the cross compiler for what they LD_PRELOAD) read this.
export PROJ_EMULATED=qemu-aarch64
exec "$ARM64_NODE_WRAPPER" "$@"
