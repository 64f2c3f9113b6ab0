# Source this: environment for cross-building the addon for
# aarch64-unknown-linux-gnu on Debian 12 x86_64 with Debian's rustc-web (1.96)
# and libstd-rust-web-dev:arm64.
#   XSYS      the folder made by gst-devroot.sh (required)
#   NAPI_TC   optional: an unpacked @napi-rs/cross-toolchain-x64-target-aarch64
#             toolchain (GCC 4.8.5, glibc 2.17 sysroot) -> result needs glibc >= 2.17;
#             without it, Debian's gcc-aarch64-linux-gnu (glibc 2.36 headers/libs)
#             -> result needs GLIBC_2.35.
: "${XSYS:?set XSYS to the folder made by gst-devroot.sh}"
export RUSTC=/usr/bin/rustc   # rustup's rustc has no aarch64 std on this machine
if [ -n "${NAPI_TC:-}" ]; then
  _cc="$NAPI_TC/bin/aarch64-unknown-linux-gnu-gcc"
  export CXX_aarch64_unknown_linux_gnu="$NAPI_TC/bin/aarch64-unknown-linux-gnu-g++"
  export AR_aarch64_unknown_linux_gnu="$NAPI_TC/bin/aarch64-unknown-linux-gnu-ar"
else
  _cc=aarch64-linux-gnu-gcc
  export CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++
  export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="$_cc"
export CC_aarch64_unknown_linux_gnu="$_cc"
unset _cc
# Target-scoped pkg-config settings (the pkg-config crate reads NAME_<target>):
# arm64 .pc files only; host build scripts keep the amd64 ones.
export PKG_CONFIG_LIBDIR_aarch64_unknown_linux_gnu="$XSYS/pkgconfig:/usr/share/pkgconfig"
export PKG_CONFIG_ALLOW_CROSS=1
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
