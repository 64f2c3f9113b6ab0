#!/usr/bin/env bash
# Makes DIR/pkgconfig + DIR/lib: an arm64 pkg-config view of Debian's multiarch
# GStreamer/GLib dev files that is safe to use with any aarch64 linker.
#  - libgstreamer-plugins-base1.0-dev is not Multi-Arch: same (installing its
#    :arm64 build would remove the amd64 one), so its arm64 .deb is extracted
#    into DIR/root instead.
#  - Every .pc links with -LDIR/lib (not -L${libdir}), a folder of .so links to the multiarch
#    arm64 libraries *without* glibc's (libc.so, libm.so, ...), so an older
#    sysroot's glibc (e.g. the napi-rs cross toolchain, glibc 2.17) is the one
#    the linker sees, not Debian 12's 2.36 via -L/usr/lib/aarch64-linux-gnu.
# Needs (co-installable with the amd64 dev packages):
#   libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-0:arm64 liborc-0.4-dev:arm64
# Usage: gst-devroot.sh DIR ; prints DIR/pkgconfig
set -euo pipefail
dir=$(realpath -m "${1:?usage: $0 DIR}")
multi=/usr/lib/aarch64-linux-gnu
mkdir -p "$dir"
cd "$dir"
ver=$(dpkg-query -W -f='${Version}' 'libgstreamer-plugins-base1.0-0:arm64')
rm -f libgstreamer-plugins-base1.0-dev_*_arm64.deb
apt-get download -q "libgstreamer-plugins-base1.0-dev:arm64=$ver" >&2
rm -rf root lib pkgconfig && mkdir root lib pkgconfig
dpkg-deb -x libgstreamer-plugins-base1.0-dev_*_arm64.deb root

# glibc's and libxcrypt's link-time files stay out of DIR/lib.
skip=$(dpkg -L libc6-dev:arm64 libcrypt-dev:arm64 2>/dev/null | grep -E '\.so$' | xargs -r -n1 basename | sort -u)
link() { # link NAME TARGET
  grep -qxF "$1" <<<"$skip" || ln -sfn "$2" "lib/$1"
}
for l in "$multi"/*.so; do
  [ -L "$l" ] && [ -e "$l" ] && link "$(basename "$l")" "$(realpath "$l")"
done
for l in root/usr/lib/aarch64-linux-gnu/*.so; do
  link "$(basename "$l")" "$multi/$(readlink "$l")"
done
for l in lib/*.so; do [ -e "$l" ] || { echo "dangling: $l" >&2; exit 1; }; done

# .pc files: the multiarch ones, then the extracted ones (headers under root/).
cp "$multi"/pkgconfig/*.pc pkgconfig/
cp root/usr/lib/aarch64-linux-gnu/pkgconfig/*.pc pkgconfig/
sed -i "s|^prefix=/usr\$|prefix=$dir/root/usr|" \
  $(cd root/usr/lib/aarch64-linux-gnu/pkgconfig && printf 'pkgconfig/%s ' *.pc)
# Only the link path moves: -I paths (e.g. glibconfig.h under libdir) stay right.
sed -i -E "/^Libs/s#-L(\\\$\\{libdir\\}|\\\$\\{prefix\\}/lib/aarch64-linux-gnu|/usr/lib/aarch64-linux-gnu)( |\$)#-L$dir/lib\\2#g" pkgconfig/*.pc
if grep -lE '^Libs.*-L(/usr/lib|\$\{prefix\}/lib)' pkgconfig/*.pc >&2; then echo "warning: .pc files above still link from /usr/lib" >&2; fi
echo "$dir/pkgconfig"
