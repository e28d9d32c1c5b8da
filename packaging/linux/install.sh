#!/usr/bin/env bash
# Install LLM Explorer for the current user (no root needed), from the unpacked tarball:
#   ./install.sh            installs into ~/.local/opt/llm-explorer and adds a menu entry
#   ./install.sh --uninstall
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
TARGET="$PREFIX/opt/llm-explorer"
APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
ICONS="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$TARGET" "$APPS/llm-explorer.desktop" "$ICONS/llm-explorer.png" "$PREFIX/bin/llm-explorer"
    echo "LLM Explorer removed (your sessions and the model cache in ~/.cache/llm-explorer are kept)."
    exit 0
fi

mkdir -p "$TARGET" "$APPS" "$ICONS" "$PREFIX/bin"
# copy the bundle (the executable and _internal/), not this script's other files
cp -a "$HERE/llm-explorer" "$HERE/_internal" "$TARGET/"
cp "$HERE/llm-explorer.png" "$ICONS/llm-explorer.png"
ln -sf "$TARGET/llm-explorer" "$PREFIX/bin/llm-explorer"
# the menu entry needs the absolute path: ~/.local/bin is not on every desktop's PATH
sed "s|^Exec=.*|Exec=$TARGET/llm-explorer|" "$HERE/llm-explorer.desktop" > "$APPS/llm-explorer.desktop"
chmod 644 "$APPS/llm-explorer.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" >/dev/null 2>&1 || true
echo "LLM Explorer installed in $TARGET; start it from the applications menu or with: $PREFIX/bin/llm-explorer"
