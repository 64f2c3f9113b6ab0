#!/usr/bin/env bash
# Runs every test: lints (rustfmt, clippy, tsc --noEmit), the Rust tests,
# the JavaScript tests, the examples, and the prebuilt installs (the arm64
# addon cross-built and tested under emulation, the packed tarballs
# installed and used), after making sure the machine is set
# up and everything is built. Ends with one `N passed, N failed` line that
# counts each Rust and JavaScript test and each lint.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0
failures=()
results=$(mktemp -d)

# A step that is one test: it passes or it fails.
step() {
  local name=$1
  shift
  echo "── $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "tsc --noEmit (strict)" pnpm run typecheck
# The build above regenerated the native API's types: a change to the
# binding must come with its committed packages/native/index.d.ts.
step "native API matches packages/native/index.d.ts" git diff --exit-code -- packages/native/index.d.ts

# Rust tests: every `test result:` line counts. NVRTC (from PyPI) lets
# them compile the CUDA kernels on a machine with no CUDA toolkit.
echo "── cargo test"
nvrtc_lib=$(node scripts/fetch-nvrtc.mjs .cache/nvrtc) || nvrtc_lib=""
LD_LIBRARY_PATH="$nvrtc_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PROJ_REQUIRE_NVRTC=1 \
  cargo test --workspace --no-fail-fast 2>&1 | tee "$results/cargo.txt"
cargo_status=${PIPESTATUS[0]}
# An ignored test (one that needs a GPU, or a benchmark) counts as skipped.
read -r rust_passed rust_failed rust_ignored < <(
  grep -E '^test result:' "$results/cargo.txt" |
    sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/' |
    awk '{p += $1; f += $2; i += $3} END {print p + 0, f + 0, i + 0}'
)
skipped=$((skipped + rust_ignored))
if [ "$cargo_status" -ne 0 ] && [ "$rust_failed" -eq 0 ]; then
  rust_failed=1 # did not build or crashed
  failures+=("cargo test (exit $cargo_status)")
elif [ "$rust_failed" -gt 0 ]; then
  failures+=("cargo test")
fi
passed=$((passed + rust_passed))
failed=$((failed + rust_failed))

# JavaScript tests: every package with a vitest config.
for config in packages/*/vitest.config.ts; do
  dir=$(dirname "$config")
  name=$(basename "$dir")
  echo "── vitest $dir"
  (cd "$dir" && pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest-$name.json")
  status=$?
  counts=$(node scripts/vitest-counts.mjs "$results/vitest-$name.json")
  read -r js_passed js_failed js_skipped <<<"$counts"
  skipped=$((skipped + js_skipped))
  if [ "$status" -ne 0 ] && [ "$js_failed" -eq 0 ]; then js_failed=1; fi
  [ "$js_failed" -gt 0 ] && failures+=("vitest $dir")
  passed=$((passed + js_passed))
  failed=$((failed + js_failed))
done

# The main job from the README must work: the whole pipeline (it fails on
# any frame ffprobe does not find in an output).
step "example watch-cameras" node examples/watch-cameras/index.mjs --out "$results/watch-cameras"
step "example mux-mp4" node examples/mux-mp4/index.mjs "$results/demo.mp4" --seconds 3
step "example camera-to-mp4" node examples/camera-to-mp4/index.mjs "$results/camera.mp4" --seconds 3
step "example decode-file" node examples/decode-file/index.mjs

# Prebuilt installs: what each addon needs of the machine (readelf), the
# arm64 addon cross-built and its smoke subset run under qemu-user, and the
# packed tarballs installed offline into an empty project and used, on both
# architectures. PROJ_ARM64=0 leaves arm64 out (as scripts/setup.sh does).
step "x64 addon needs at most GLIBC_2.35, GStreamer 1.20 (readelf)" \
  node scripts/check-addon.mjs packages/native/native.linux-x64-gnu.node --glibc 2.35 --gstreamer 1.20
if [ "${PROJ_ARM64:-1}" != 0 ]; then
  step "arm64 addon: cross-build, needs at most GLIBC_2.17, GStreamer 1.20 (readelf)" bash scripts/build-arm64.sh
  echo "── arm64 suites under emulation (smoke subset; scripts/test-arm64.sh runs them all)"
  bash scripts/test-arm64.sh --smoke 2>&1 | tee "$results/arm64.txt"
  read -r a_passed a_failed a_skipped < <(tail -1 "$results/arm64.txt" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/;t;s/.*/0 1 0/')
  passed=$((passed + a_passed)) failed=$((failed + a_failed)) skipped=$((skipped + a_skipped))
  [ "$a_failed" -gt 0 ] && failures+=("arm64 suites under emulation")
fi
step "install test: packed tarballs, offline, in an empty project" bash scripts/install-test.sh

rm -rf "$results"
if [ "${#failures[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
# Skipped tests need hardware this machine lacks (the CUDA and NVDEC
# suites: scripts/gpu-run.sh runs them on a GPU machine) or are benchmarks.
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
