#!/usr/bin/env bash
# The install as a new user does it: packs the packages (scripts/pack.mjs),
# installs the tarballs into empty projects outside the workspace, offline
# and with an empty store and cache (so nothing comes from the workspace or
# the registry), with npm for each architecture (checking that only its
# addon is installed) and with pnpm on x64, then runs install-test/smoke.mjs (mux, decode,
# letterbox; ESM), install-test/smoke.cjs (the CommonJS entry points) and
# tsc over install-test/types.ts and types.cts (the shipped .d.ts, ESM and
# CommonJS).
#   install-test.sh [x64] [arm64]   default: x64, and arm64 when its addon is
#                                   built (and PROJ_ARM64 is not 0)
# arm64 installs for an aarch64 machine (npm --cpu=arm64) and runs the smoke
# in an aarch64 Node under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
arches=("$@")
if [ "${#arches[@]}" -eq 0 ]; then
  arches=(x64)
  [ "${PROJ_ARM64:-1}" != 0 ] && [ -f packages/native/native.linux-arm64-gnu.node ] && arches+=(arm64)
fi
work=$(mktemp -d /tmp/proj-install-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
node scripts/pack.mjs --out "$work/tarballs"

# An empty project that depends on the four packages, the tarballs standing
# in for the registry (the packages name each other by version).
new_project() { # new_project DIR PACKAGE_MANAGER
  mkdir -p "$1/out"
  cp scripts/install-test/{smoke.mjs,smoke.cjs,types.ts,types.cts} "$1/"
  node - "$1" "$work/tarballs" "$2" <<'JS'
const [app, tarballs, pm] = process.argv.slice(2);
const { readdirSync, writeFileSync } = require('fs');
const tgz = Object.fromEntries(readdirSync(tarballs).filter((f) => f.endsWith('.tgz'))
  .map((f) => [`@proj/${f.replace(/^proj-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`, `file:${tarballs}/${f}`]));
const dependencies = Object.fromEntries(['native', 'gstreamer', 'deepstream', 'picasso'].map((n) => [`@proj/${n}`, tgz[`@proj/${n}`]]));
const manifest = { name: 'new-user', private: true, type: 'module', dependencies };
if (pm === 'pnpm') manifest.pnpm = { overrides: tgz };
else manifest.overrides = tgz;
writeFileSync(`${app}/package.json`, JSON.stringify(manifest, null, 2));
JS
}

status=0
fail() {
  echo "install test: $*" >&2
  status=1
}
for arch in "${arches[@]}"; do
  other=$([ "$arch" = x64 ] && echo arm64 || echo x64)
  # npm, as on a machine of this architecture (--cpu): only its addon comes.
  echo "── install test: npm, linux-$arch"
  app="$work/npm-$arch"
  new_project "$app" npm
  (cd "$app" && npm install --offline --cache "$work/npm-cache" --no-audit --no-fund --cpu="$arch" --os=linux --libc=glibc) || fail "npm install ($arch)"
  [ -f "$app/node_modules/@proj/native-linux-$arch-gnu/native.linux-$arch-gnu.node" ] || fail "npm did not install @proj/native-linux-$arch-gnu"
  [ ! -e "$app/node_modules/@proj/native-linux-$other-gnu" ] || fail "npm installed @proj/native-linux-$other-gnu on $arch"
  if [ "$arch" = x64 ]; then
    # pnpm, the way the README says. (From local tarballs pnpm fetches every
    # platform's optional package; from a registry it skips the others.)
    echo "── install test: pnpm, linux-x64"
    app="$work/pnpm-x64"
    new_project "$app" pnpm
    (cd "$app" && pnpm install --offline --store-dir "$work/store" --reporter=append-only) || fail "pnpm install"
    # The shipped .d.ts, as a TypeScript user's tsc reads them.
    (cd "$app" && node "$repo/node_modules/typescript/bin/tsc" --noEmit --strict --skipLibCheck false \
      --module nodenext --moduleResolution nodenext --target es2022 --lib es2023,esnext.disposable \
      --typeRoots "$repo/node_modules/@types" --types node types.ts types.cts) &&
      echo "tsc: the shipped .d.ts type-check (ESM and CommonJS)" || fail "tsc over the shipped .d.ts"
    run=(node)
  else
    # shellcheck source=arm64/cache.sh
    . scripts/arm64/cache.sh
    run=(scripts/arm64/run.sh "$(arm64_node)")
  fi
  "${run[@]}" "$app/smoke.mjs" "$app/out" || fail "smoke.mjs ($arch)"
  "${run[@]}" "$app/smoke.cjs" || fail "smoke.cjs ($arch)"
done
exit $status
