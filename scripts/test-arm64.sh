#!/usr/bin/env bash
# Runs the JavaScript suites against the arm64 addon
# (packages/native/native.linux-arm64-gnu.node, from scripts/build-arm64.sh)
# in an aarch64 Node 20 under qemu-user: the same tests, the same GStreamer
# 1.22 (Debian's arm64 build), 2.5 to 9 times slower than native. ffmpeg and
# ffprobe, which tests spawn to make and check media, are the host's.
#   test-arm64.sh           every suite (the full arm64 run)
#   test-arm64.sh --smoke   the subset .ci/run runs on every change
# Counts like scripts/test.sh and ends with one "N passed, N failed,
# N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=arm64/cache.sh
. scripts/arm64/cache.sh

# The smoke subset: the loader, muxing, bad input, decoding and letterboxing,
# drawing specs; a few minutes under emulation on 2 cores.
declare -A SMOKE=(
  [native]="test/loader.test.mts"
  [gstreamer]="test/mux.test.ts test/bad-input.test.ts"
  [deepstream]="test/decoders.test.ts test/transform-conformance.test.ts test/video-frame.test.ts"
  [picasso]="test/draw-spec.test.ts"
)
smoke=0
[ "${1:-}" = --smoke ] && smoke=1

if [ ! -f packages/native/native.linux-arm64-gnu.node ]; then
  echo "no arm64 addon: run scripts/build-arm64.sh first"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
node_bin=$(arm64_node) || { echo "could not fetch the aarch64 Node"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0
failures=()
for config in packages/*/vitest.config.ts; do
  dir=$(dirname "$config")
  name=$(basename "$dir")
  files=()
  if [ "$smoke" = 1 ]; then
    [ -n "${SMOKE[$name]:-}" ] || continue
    read -ra files <<<"${SMOKE[$name]}"
  fi
  echo "── vitest $dir under qemu-aarch64 (node $("scripts/arm64/run.sh" "$node_bin" --version))${files[*]:+: ${files[*]}}"
  (cd "$dir" && ../../scripts/arm64/run.sh "$node_bin" node_modules/vitest/vitest.mjs run "${files[@]}" \
    --reporter=default --reporter=json --outputFile.json="$results/$name.json")
  status=$?
  read -r p f s < <(node scripts/vitest-counts.mjs "$results/$name.json")
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "$f" -gt 0 ] && failures+=("vitest $dir (arm64)")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
[ "${#failures[@]}" -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
