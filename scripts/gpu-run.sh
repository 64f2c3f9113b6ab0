#!/usr/bin/env bash
# Runs the CUDA and NVDEC tests on a GPU machine from what
# scripts/gpu-bundle.sh packed into .gpu/. GStreamer is unpacked into a
# folder of its own (never into /); the machine's NVIDIA driver and CUDA
# toolkit (libnvrtc) are used. `bash scripts/gpu-run.sh bench` runs the
# benchmarks instead of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=/tmp/proj-gst
rm -rf "$root" && mkdir -p "$root"
for deb in .gpu/debs/*.deb; do dpkg -x "$deb" "$root"; done
lib="$root/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export GST_PLUGIN_SYSTEM_PATH="$lib/gstreamer-1.0"
export GST_PLUGIN_SCANNER="$lib/gstreamer1.0/gstreamer-1.0/gst-plugin-scanner"
export GST_REGISTRY="$root/registry.bin"
export PROJ_REQUIRE_NVRTC=1
nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv
if [ "${1:-}" = bench ]; then
  .gpu/nvdec --ignored bench --nocapture
  .gpu/cuda_platform --ignored bench --nocapture --test-threads=1
else
  # The GPU tests are ignored elsewhere; here they run and must pass.
  .gpu/cuda_platform --include-ignored --skip bench --test-threads=1
  .gpu/nvdec --include-ignored --skip bench --test-threads=1 --nocapture
  # NVENC where GStreamer registered it (not on H100/H200/A100: said, and
  # skipped by name rather than passed).
  skip_nvenc=()
  # (The registry the NVDEC tests just wrote names every feature.)
  if ! grep -qa nvh264enc "$GST_REGISTRY"; then
    echo "no nvh264enc registered here: the NVENC test is skipped"
    skip_nvenc=(--skip nvenc)
  fi
  .gpu/encode_gpu --include-ignored --test-threads=1 --nocapture "${skip_nvenc[@]}"
  # Drawing with the draw-list kernels: CPU bytes, and the time per frame.
  .gpu/draw_gpu --include-ignored --test-threads=1 --nocapture
fi
