"""Maintainer script: rebuild resources/vocab/tiktoken/ from the npm package js-tiktoken.

Provenance of the vendored vocabularies (MIT licence, same ranks as OpenAI's files):

    npm pack js-tiktoken@1.0.21 && tar xzf js-tiktoken-1.0.21.tgz
    python tools/vendor_tiktoken.py package/

Each `dist/ranks/<name>.js` holds JSON after `export default `; its `bpe_ranks`
field is a series of lines `! OFFSET tok tok ...` (base64 tokens whose ranks
count up from OFFSET). We rewrite them as standard `.tiktoken` files
(`base64token rank` per line, sorted by rank), check each against OpenAI's
published sha256 (tiktoken's `expected_hash`), and store them gzipped. The
regex and special tokens come from the installed tiktoken package, so they
match OpenAI's definitions exactly.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path
from unittest import mock

ENCODINGS = ("r50k_base", "cl100k_base", "o200k_base")
OUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "vocab" / "tiktoken"


def tiktoken_text(bpe_ranks: str) -> bytes:
    ranked: list[tuple[int, str]] = []
    for line in bpe_ranks.split("\n"):
        parts = line.split(" ")
        if len(parts) < 2 or parts[0] != "!":
            continue
        offset = int(parts[1])
        ranked.extend((offset + i, tok) for i, tok in enumerate(parts[2:]) if tok)
    ranked.sort()
    return "".join(f"{tok} {rank}\n" for rank, tok in ranked).encode()


def openai_definition(name: str) -> tuple[dict, str]:
    """The pat_str, special tokens and expected hash tiktoken itself uses for `name`."""
    import tiktoken_ext.openai_public as public

    seen: dict[str, str] = {}

    def fake_load(url: str, expected_hash: str | None = None) -> dict:
        seen["hash"] = expected_hash or ""
        return {}

    with mock.patch.object(public, "load_tiktoken_bpe", fake_load):
        spec = getattr(public, name)()
    return {"pat_str": spec["pat_str"], "special_tokens": spec["special_tokens"]}, seen["hash"]


def main(package_dir: str) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    meta: dict[str, dict] = {}
    js_names = {"r50k_base": "r50k_base", "cl100k_base": "cl100k_base", "o200k_base": "o200k_base"}
    for name in ENCODINGS:
        raw = (Path(package_dir) / "dist" / "ranks" / f"{js_names[name]}.js").read_text()
        data = json.loads(raw.split("export default ", 1)[1].rstrip().rstrip(";"))
        text = tiktoken_text(data["bpe_ranks"])
        definition, expected = openai_definition(name)
        digest = hashlib.sha256(text).hexdigest()
        if digest != expected:
            sys.exit(f"{name}: sha256 {digest} differs from OpenAI's {expected}")
        (OUT_DIR / f"{name}.tiktoken.gz").write_bytes(gzip.compress(text, 9, mtime=0))
        meta[name] = {**definition, "sha256": expected}
        print(name, text.count(b"\n"), "ranks, sha256 ok")
    (OUT_DIR / "encodings.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "package")
