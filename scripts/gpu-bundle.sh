#!/usr/bin/env bash
# Packs what the GPU machine needs to run the CUDA, NVDEC, encoder and drawing tests into
# .gpu/ (ignored by git; carry it with the device tool's `carry: [".gpu"]`):
# the release test binaries and the Debian packages of the GStreamer
# libraries and plugins they load (found with ldd, about 20 MB; libav is
# left out: its dependencies exceed the carry limit, and the NVDEC test then
# compares with the source pictures and the other software decoders).
# Run it on the Debian 12 development machine; then, on the GPU machine:
#   bash scripts/gpu-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/debs
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude

# Test binaries (release: the bench measures them).
build() {
  cargo test --release -p "$1" --test "$2" --no-run --message-format=json |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$2" | tail -1
}
cp "$(build proj_buffers cuda_platform)" .gpu/cuda_platform
cp "$(build proj_decoders nvdec)" .gpu/nvdec
cp "$(build proj_encoders encode_gpu)" .gpu/encode_gpu
cp "$(build proj_draw draw_gpu)" .gpu/draw_gpu

# The packages of every library the binaries and the plugins they use load,
# except those every Linux machine has.
plugins=/usr/lib/x86_64-linux-gnu/gstreamer-1.0
files=(.gpu/nvdec .gpu/cuda_platform .gpu/encode_gpu .gpu/draw_gpu /usr/lib/x86_64-linux-gnu/libgstcuda-1.0.so.0
  /usr/lib/x86_64-linux-gnu/gstreamer1.0/gstreamer-1.0/gst-plugin-scanner)
for p in coreelements app videoconvertscale videotestsrc vpx videoparsersbad nvcodec x264 x265 aom; do
  files+=("$plugins/libgst$p.so")
done
{
  for f in "${files[@]:4}"; do dpkg -S "$f" | cut -d: -f1; done
  ldd "${files[@]}" | awk '/=>/ {print $3}' | sort -u | while read -r lib; do
    dpkg -S "*/$(basename "$lib")" 2>/dev/null | head -1 | cut -d: -f1
  done
} | sort -u | grep -vxE 'libc6|libgcc-s1|libstdc\+\+6' >.gpu/packages.txt
(cd .gpu/debs && rm -f ./*.deb && xargs apt-get download <../packages.txt) >/dev/null
du -sh .gpu
