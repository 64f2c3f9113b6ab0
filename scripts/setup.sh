#!/usr/bin/env bash
# Makes a fresh Debian 12 machine (with its Node.js and Rust) ready to build
# and test @proj: installs the missing Debian packages and pnpm, installs the
# JavaScript dependencies and builds the native addon and the packages.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: pkg-config and the GStreamer headers for the -sys crates.
# Run time: GStreamer's parsers and muxers (base/good/bad), x264enc (ugly),
# the software decoders of H.264/HEVC (libav)
# and the command-line tools; ffmpeg/ffprobe make and check test media.
# Tests: g++ runs the CUDA kernels on the CPU, unzip unpacks NVRTC, and
# gst-rtsp-server (through Debian's GObject bindings) is the RTSP camera;
# the DejaVu fonts are what real Skia draws the drawing goldens with;
# strace reads the recorder's fsync/rename order (gcc, from g++, builds the
# fsync-failure shim).
DEBS=(
  pkg-config g++ unzip strace
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav
  gstreamer1.0-tools
  ffmpeg
  python3-gi gir1.2-gst-rtsp-server-1.0
  fonts-dejavu-core
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Those of the packages named that are not installed, one per line.
not_installed() {
  local deb
  for deb in "$@"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || echo "$deb"
  done
}

mapfile -t missing < <(not_installed "${DEBS[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The arm64 addon (scripts/build-arm64.sh) and its tests under emulation
# (scripts/test-arm64.sh): Debian's rustc with its aarch64 std, binutils and
# the arm64 GStreamer/GLib libraries with their .pc files, which all install
# beside the amd64 ones (Multi-Arch: same). libgstreamer-plugins-base1.0-dev
# is not co-installable, so its :arm64 .deb is unpacked by
# scripts/arm64/gst-devroot.sh instead. PROJ_ARM64=0 skips all this.
ARM64_DEBS=(
  rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
  libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-0:arm64 liborc-0.4-dev:arm64
  gstreamer1.0-plugins-base:arm64 gstreamer1.0-plugins-good:arm64 gstreamer1.0-plugins-bad:arm64
  gstreamer1.0-plugins-ugly:arm64 gstreamer1.0-libav:arm64
)
if [ "${PROJ_ARM64:-1}" != 0 ]; then
  mapfile -t missing < <(not_installed "${ARM64_DEBS[@]}")
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing (arm64 build and emulation) ${missing[*]}"
    dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
    # Never at the cost of an amd64 package: apt must remove nothing (the
    # amd64 GStreamer -dev packages above all).
    plan=$(as_root apt-get install -s --no-install-recommends "${missing[@]}")
    if grep -q '^Remv' <<<"$plan"; then
      echo "setup: installing the arm64 packages would remove:" >&2
      grep '^Remv' <<<"$plan" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version"
  as_root npm install --global --no-fund --no-audit --loglevel=error "pnpm@$pnpm_version"
fi

export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-true}"
pnpm install --frozen-lockfile --reporter=append-only
pnpm run build
