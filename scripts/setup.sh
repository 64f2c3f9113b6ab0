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

missing=()
for deb in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || missing+=("$deb")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version"
  as_root npm install --global --no-fund --no-audit --loglevel=error "pnpm@$pnpm_version"
fi

export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-true}"
pnpm install --frozen-lockfile --reporter=append-only
pnpm run build
