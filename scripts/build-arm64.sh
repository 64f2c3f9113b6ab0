#!/usr/bin/env bash
# Cross-builds the addon for aarch64-unknown-linux-gnu (Jetson, arm64
# servers) on Debian 12 x86_64: packages/native/native.linux-arm64-gnu.node.
# Linked with the napi-rs cross toolchain's glibc 2.17 sysroot against
# Debian's arm64 GStreamer 1.22 (an arm64 pkg-config view that keeps Debian's
# own glibc out of the link), compiled by Debian's rustc with its aarch64 std
# (rustup's has none here). Fails when the addon needs a glibc symbol newer
# than 2.17 or a GStreamer function newer than 1.20 (JetPack 6), and reports
# the GStreamer functions that set that floor.
# Needs scripts/setup.sh (its arm64 packages) first; about 5 min cold on 2
# cores, a minute when only proj_binding changed.
#   CARGO_TARGET_DIR  default target/aarch64-cross (apart from the x86_64 build)
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts/arm64
# shellcheck source=arm64/cache.sh
. "$here/cache.sh"
export CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target/aarch64-cross}")
t0=$(date +%s)
stage() { echo "── build-arm64: $1 ($(($(date +%s) - t0)) s)"; }

stage "toolchain and the arm64 GStreamer view"
NAPI_TC=$(arm64_toolchain)
XSYS="$ARM64_CACHE/gst-$(dpkg-query -W -f='${Version}' 'libgstreamer-plugins-base1.0-0:arm64')"
[ -f "$XSYS/pkgconfig/gstreamer-video-1.0.pc" ] || bash "$here/gst-devroot.sh" "$XSYS" >/dev/null
export NAPI_TC XSYS
# shellcheck source=arm64/env.sh
. "$here/env.sh"

stage "napi build --target aarch64-unknown-linux-gnu"
(cd packages/native && pnpm exec napi build --platform --release --target aarch64-unknown-linux-gnu \
  --manifest-path ../../crates/proj_binding/Cargo.toml --output-dir . --js index.js --dts index.d.ts)

stage "checks"
node scripts/check-addon.mjs packages/native/native.linux-arm64-gnu.node \
  --readelf "$NAPI_TC/bin/aarch64-unknown-linux-gnu-readelf" --glibc 2.17 --gstreamer 1.20
stage "done"
