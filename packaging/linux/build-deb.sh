#!/usr/bin/env bash
# The .deb and the .tar.gz of the bundle in dist/desktop-llm (made by pyinstaller first).
# The .deb installs under /opt/desktop-llm with `desktop-llm` on PATH, the menu entry,
# the icon at the usual sizes, the GGUF file type and AppStream metainfo. Removing it
# never touches the user's data folder (~/.local/share/desktop-llm and ~/.config/desktop-llm).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
VERSION=$($PY -c "import desktop_llm; print(desktop_llm.__version__)")
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
BUNDLE=dist/desktop-llm
[ -x "$BUNDLE/desktop-llm" ] || { echo "build-deb: no bundle in $BUNDLE (run make dist)" >&2; exit 1; }

STAGE=build/deb/desktop-llm_${VERSION}_${ARCH}
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/metainfo" "$STAGE/usr/share/mime/packages" "$STAGE/usr/share/icons/hicolor"
cp -a "$BUNDLE" "$STAGE/opt/desktop-llm"
ln -s /opt/desktop-llm/desktop-llm "$STAGE/usr/bin/desktop-llm"
cp packaging/linux/desktop-llm.desktop "$STAGE/usr/share/applications/desktop-llm.desktop"
cp packaging/linux/desktop-llm.metainfo.xml "$STAGE/usr/share/metainfo/desktop-llm.metainfo.xml"
cp packaging/linux/desktop-llm-mime.xml "$STAGE/usr/share/mime/packages/desktop-llm.xml"
QT_QPA_PLATFORM=offscreen $PY packaging/linux/render_icons.py resources/icon.svg "$STAGE/usr/share/icons/hicolor"

SIZE_KB=$(du -sk "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: desktop-llm
Version: ${VERSION}
Architecture: ${ARCH}
Maintainer: desktop-llm developers <desktop-llm@users.noreply.github.com>
Installed-Size: ${SIZE_KB}
Depends: libc6, libstdc++6, libgomp1, libegl1, libgl1, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxcb-xkb1, libx11-xcb1
Section: utils
Priority: optional
Homepage: https://github.com/desktop-llm/desktop-llm
Description: Private, offline chat and writing assistant
 Chat, summarize, translate and draft with open language models that run on
 this computer (llama.cpp). Comes with a small starter model, so it works
 offline from the first start.
CONTROL
for script in postinst postrm; do
  cat > "$STAGE/DEBIAN/$script" <<'HOOK'
#!/bin/sh
set -e
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
command -v update-mime-database >/dev/null 2>&1 && update-mime-database /usr/share/mime || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
exit 0
HOOK
  chmod 755 "$STAGE/DEBIAN/$script"
done

mkdir -p dist
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "dist/desktop-llm_${VERSION}_${ARCH}.deb" >/dev/null
tar -C dist -czf "dist/desktop-llm-${VERSION}-linux-${ARCH}.tar.gz" desktop-llm
ls -l "dist/desktop-llm_${VERSION}_${ARCH}.deb" "dist/desktop-llm-${VERSION}-linux-${ARCH}.tar.gz"
