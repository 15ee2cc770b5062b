#!/usr/bin/env bash
# Installs the system libraries Qt needs on Debian/Ubuntu when any is missing.
# Quick when everything is there: it only asks the dynamic linker's cache.
set -euo pipefail

declare -A PKG_FOR_LIB=(
  [libEGL.so.1]=libegl1
  [libGL.so.1]=libgl1
  [libfontconfig.so.1]=libfontconfig1
  [libfreetype.so.6]=libfreetype6
  [libdbus-1.so.3]=libdbus-1-3
  [libxkbcommon.so.0]=libxkbcommon0
  [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
  [libxcb-cursor.so.0]=libxcb-cursor0
  [libxcb-icccm.so.4]=libxcb-icccm4
  [libxcb-image.so.0]=libxcb-image0
  [libxcb-keysyms.so.1]=libxcb-keysyms1
  [libxcb-randr.so.0]=libxcb-randr0
  [libxcb-render-util.so.0]=libxcb-render-util0
  [libxcb-shape.so.0]=libxcb-shape0
  [libxcb-xinerama.so.0]=libxcb-xinerama0
  [libxcb-xkb.so.1]=libxcb-xkb1
  [libX11-xcb.so.1]=libx11-xcb1
)

[ "$(uname -s)" = Linux ] || exit 0
cache=$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)
missing=()
for lib in "${!PKG_FOR_LIB[@]}"; do
  grep -q "$lib" <<<"$cache" || missing+=("${PKG_FOR_LIB[$lib]}")
done
# A font, so text is drawn even on a bare machine.
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -1)" ]; then
  missing+=(fonts-dejavu-core fontconfig)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

bash "$(dirname "$0")/apt-install.sh" "Qt" "${missing[@]}"
