#!/bin/sh
# Install the standalone photoapp build (the folder this script is in) for the current user.
#
#   ./install.sh              copy the folder to ~/.local/lib/photoapp, link ~/.local/bin/photoapp,
#                             add the launcher entry, the icon (hicolor sizes) and the AppStream data
#   ./install.sh --uninstall  remove exactly what the install added
#
# PREFIX (default ~/.local) moves everything, e.g. PREFIX=/opt/photoapp-test ./install.sh.
# Your library (photos index, thumbnails, settings) lives in ~/.local/share/photoapp and is never
# touched by either command; your photos are never touched by photoapp at all.
set -eu

PREFIX="${PREFIX:-$HOME/.local}"
APP_DIR="$PREFIX/lib/photoapp"
BIN_LINK="$PREFIX/bin/photoapp"
SHARE="$PREFIX/share"
MANIFEST="$APP_DIR/.installed-files"  # desktop files added outside APP_DIR, for --uninstall

refresh_caches() {  # optional tools: menus and icon themes pick up changes without them, later
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
}

uninstall() {
    if [ -f "$MANIFEST" ]; then
        while IFS= read -r f; do rm -f "$f"; done < "$MANIFEST"
    fi
    [ -L "$BIN_LINK" ] && rm -f "$BIN_LINK"
    rm -rf "$APP_DIR"
    refresh_caches
    echo "photoapp removed from $PREFIX (your library in ~/.local/share/photoapp is kept)"
}

install_app() {
    src="$(cd "$(dirname "$0")" && pwd)"
    if [ ! -x "$src/photoapp" ] || [ ! -d "$src/_internal/share/applications" ]; then
        echo "install.sh: run it from the built photoapp-linux folder ($src has no photoapp launcher)" >&2
        exit 1
    fi
    if [ "$src" = "$(cd "$APP_DIR" 2>/dev/null && pwd)" ]; then
        echo "install.sh: $src is already the installed copy" >&2
        exit 1
    fi
    if [ -e "$APP_DIR" ]; then uninstall >/dev/null; fi
    mkdir -p "$APP_DIR" "$PREFIX/bin"
    cp -a "$src/." "$APP_DIR/"
    ln -sfn "$APP_DIR/photoapp" "$BIN_LINK"
    : > "$MANIFEST"
    data="$APP_DIR/_internal/share"
    # The launcher entry runs the installed binary by absolute path: ~/.local/bin is not on the
    # PATH of every desktop session.
    mkdir -p "$SHARE/applications"
    sed "s|^Exec=photoapp |Exec=$APP_DIR/photoapp |" "$data/applications/photoapp.desktop" \
        > "$SHARE/applications/photoapp.desktop"
    echo "$SHARE/applications/photoapp.desktop" >> "$MANIFEST"
    for icon in "$data"/icons/hicolor/*/apps/photoapp.*; do
        rel="${icon#"$data"/}"
        mkdir -p "$(dirname "$SHARE/$rel")"
        cp "$icon" "$SHARE/$rel"
        echo "$SHARE/$rel" >> "$MANIFEST"
    done
    mkdir -p "$SHARE/metainfo"
    cp "$data/metainfo/photoapp.metainfo.xml" "$SHARE/metainfo/"
    echo "$SHARE/metainfo/photoapp.metainfo.xml" >> "$MANIFEST"
    refresh_caches
    echo "photoapp installed in $APP_DIR; run it with $BIN_LINK (or from the applications menu)"
    case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "note: $PREFIX/bin is not on your PATH" ;; esac
}

case "${1:-}" in
    "") install_app ;;
    --uninstall) uninstall ;;
    *) echo "usage: $0 [--uninstall]" >&2; exit 2 ;;
esac
