#!/usr/bin/env bash
# Build the Linux one-folder bundle with PyInstaller, then a tarball a student can unpack and run.
#
#   packaging/build_linux.sh            (uses .venv/bin/python; PYTHON=... to choose another)
#
# Output: build/dist/llm-explorer/ (the bundle) and build/llm-explorer-VERSION-linux-ARCH.tar.gz
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-$ROOT/.venv/bin/python}

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "PyInstaller is missing: $PY -m pip install -e '.[package]'" >&2
    exit 2
fi

echo "== PyInstaller (slow: torch alone has thousands of modules)"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath build/dist --workpath build/pyinstaller packaging/llm-explorer.spec

VERSION=$("$PY" -c "import explorer; print(explorer.__version__)")
NAME="llm-explorer-$VERSION-linux-$(uname -m)"
STAGE="build/$NAME"
rm -rf "$STAGE" "build/$NAME.tar.gz"
mkdir -p "$STAGE"
cp -a build/dist/llm-explorer/. "$STAGE/"
cp packaging/llm-explorer.desktop packaging/icons/llm-explorer.png packaging/linux/install.sh "$STAGE/"
cat > "$STAGE/README.txt" <<TXT
LLM Explorer $VERSION for Linux ($(uname -m))

Run it:      ./llm-explorer
Install it:  ./install.sh   (adds "LLM Explorer" to the applications menu; ./install.sh --uninstall removes it)

Everything works offline. The first start of a pane that uses SmolLM2 converts the bundled model
once into ~/.cache/llm-explorer (about a minute, with a progress bar).
TXT

echo "== tarball"
# gzip -6: everyone can unpack it; the model weights barely compress with anything stronger
tar -C build -cf - "$NAME" | gzip -6 > "build/$NAME.tar.gz"

unpacked=$(du -sb "$STAGE" | cut -f1)
packed=$(stat -c %s "build/$NAME.tar.gz")
echo "bundle: $STAGE"
echo "unpacked: $((unpacked / 1000000)) MB ($unpacked bytes; budget 1500 MB)"
echo "compressed: $((packed / 1000000)) MB ($packed bytes; budget 700 MB) -> build/$NAME.tar.gz"
status=0
[ "$unpacked" -le 1500000000 ] || { echo "FAIL: unpacked bundle over budget" >&2; status=1; }
[ "$packed" -le 700000000 ] || { echo "FAIL: tarball over budget" >&2; status=1; }
exit $status
