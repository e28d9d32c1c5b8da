#!/usr/bin/env bash
# Installs the few Debian packages Qt needs to run headless, plus fonts with
# emoji and CJK glyphs, when they are missing and we are allowed to (root).
set -u
need=()
# the last eight are the X11 (xcb) platform plugin's, for `make run` on a desktop
for lib in libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libGL.so.1 \
           libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-image.so.0 libxcb-render-util.so.0 \
           libxcb-shape.so.0 libxcb-randr.so.0 libxkbcommon-x11.so.0; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$lib")
done
fonts_missing=0
fc-list 2>/dev/null | grep -qi "noto.*cjk" || fonts_missing=1
if [ ${#need[@]} -eq 0 ] && [ $fonts_missing -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "note: missing ${need[*]} fonts=$fonts_missing; install Qt's runtime libraries with your package manager" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 \
  libfontconfig1 libdbus-1-3 fontconfig fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji \
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 >/dev/null
