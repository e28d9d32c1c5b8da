"""Loads image-text models (CLIP, SigLIP, the mini-CLIP) and captioners (BLIP, BLIP-2).

Every image-text model comes back wrapped in an object with the
`explorer.core.multimodal.ImageTextEncoder` interface (embed_images,
embed_texts, logit_scale, name, is_trained_here), so no view cares which
one it is. Hub weights are safetensors only; nothing is unpickled and no
remote code runs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from explorer.core.module_wrapper import WrapsTorchModule
from explorer.core.multimodal import normalise
from explorer.core.progress import Progress, ensure
from explorer.models import hub, paths
from explorer.models.catalogue import CatalogueEntry
from explorer.models.loaded import LoadedModel, torch_nbytes

log = logging.getLogger(__name__)

# BLIP-2 with OPT-2.7B holds ~3.9 billion parameters: ~7.7 GB in fp16, plus room to run
BLIP2_MIN_GPU_BYTES = 10 * 1024**3
IMAGE_TEXT_TYPES = ("clip", "siglip", "siglip2", "chinese_clip")


class NeedsGpu(RuntimeError):
    """The model does not fit this computer; the message says what it needs."""


class NotTrainedYet(FileNotFoundError):
    """No usable mini-CLIP: neither a copy trained on this computer nor the one shipped with the app."""


class MiniClipDamaged(NotTrainedYet):
    """Every mini-CLIP copy found is damaged; the message says which and what to do."""


def mini_clip_dir() -> Path:
    """Where the user's own training is saved (it takes over from the shipped copy)."""
    return paths.cache_dir() / "mini-clip"


@dataclass
class MiniClipCopy:
    folder: Path
    origin: str  # "user": trained on this computer; "shipped": comes with the app


@dataclass
class MiniClipStatus:
    """Which mini-CLIP copy the app uses, and what went wrong with the ones it skipped."""

    copy: MiniClipCopy | None
    info: dict | None = None  # the "training" record saved with it (steps, accuracy, loss curve...)
    problems: list[str] = field(default_factory=list)
    # the colour-shape pairs its training never showed ([] for copies saved before pairs were held out)
    held_out_pairs: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str | None:
        return self.copy.origin if self.copy else None


def mini_clip_copies() -> list[MiniClipCopy]:
    """The copies on disk, in the order they are tried: the user's own training first, then the shipped one."""
    from explorer.core.mini_clip import WEIGHTS_FILE

    found = []
    for folder, origin in ((mini_clip_dir(), "user"), (paths.shipped_mini_clip_dir(), "shipped")):
        if (folder / WEIGHTS_FILE).is_file():
            found.append(MiniClipCopy(folder, origin))
    return found


def _damaged_message(copy: MiniClipCopy, exc: Exception) -> str:
    if copy.origin == "user":
        return (f"Your trained mini-CLIP could not be used ({exc}). Train it again to replace it.")
    return (f"The mini-CLIP shipped with the app could not be used ({exc}). Reinstall the app, or train "
            "mini-CLIP here (about 2-3 minutes).")


def _first_usable(open_copy):
    """(copy, open_copy(copy), problems) for the first copy that opens, in `mini_clip_copies` order;
    (None, None, problems) when none does. problems: one message per damaged copy skipped."""
    from explorer.core import mini_clip

    problems: list[str] = []
    for copy in mini_clip_copies():
        try:
            return copy, open_copy(copy), problems
        except (mini_clip.DamagedModel, OSError) as exc:
            problems.append(_damaged_message(copy, exc))
    return None, None, problems


def mini_clip_status() -> MiniClipStatus:
    """The copy `load_mini_clip` would use, checked (checksum, header) without torch: cheap enough for a UI refresh."""
    from explorer.core import mini_clip

    copy, checked, problems = _first_usable(lambda c: mini_clip.read_checked(c.folder))
    info = checked[0].get("training") if checked else None
    pairs = mini_clip.held_out_pairs(checked[0]) if checked else []
    return MiniClipStatus(copy, info if isinstance(info, dict) else None, problems, pairs)


def mini_clip_held_out_pairs() -> list[str] | None:
    """The held-out pairs of the copy the app would use (for `list --json`); None when there is no usable copy."""
    status = mini_clip_status()
    return status.held_out_pairs if status.copy is not None else None


def load_mini_clip(device=None):
    """(encoder, copy, problems): the user's copy if it is sound, else the shipped one.

    A damaged copy is skipped with a logged warning (in `problems`, for the UI);
    raises MiniClipDamaged when every copy is damaged, NotTrainedYet when there is none.
    """
    from explorer.core import mini_clip

    copy, encoder, problems = _first_usable(lambda c: mini_clip.load(c.folder, device=device, origin=c.origin))
    for message in problems:
        log.warning(message)
    if copy is not None:
        return encoder, copy, problems
    if problems:
        raise MiniClipDamaged(" ".join(problems))
    raise NotTrainedYet("mini-CLIP is missing: the copy shipped with the app is not in "
                        f"{paths.shipped_mini_clip_dir()}. Train it (about 2-3 minutes) in Images & text, "
                        "or run `llm-explorer train-mini-clip`")


# --- image-text models -------------------------------------------------------------------------
def load_image_text(entry: CatalogueEntry, device, progress: Progress | None = None) -> LoadedModel:
    """The mini-CLIP (the user's own training, else the shipped copy), or a CLIP-like model from the Hub."""
    progress = ensure(progress)
    if entry.id == "mini-clip" and not entry.hub_id:
        progress.report(None, "Loading mini-CLIP")
        encoder, copy, problems = load_mini_clip(device)
        return LoadedModel(entry=entry, model=encoder, device=encoder.device, nbytes=torch_nbytes(encoder.model),
                           extras={"folder": str(copy.folder), "origin": copy.origin,
                                   "trained_here": copy.origin == "user", "problems": problems})
    if not entry.hub_id:
        raise FileNotFoundError(f"no weights known for '{entry.id}'")
    folder = hub.download(entry.hub_id, "image-text", progress)
    progress.check()
    progress.report(None, f"Loading {entry.title}")
    encoder = load_hf_image_text(folder, device, name=entry.title, key=f"{entry.hub_id}@{folder.name}")
    return LoadedModel(entry=entry, model=encoder, tokenizer=encoder.tokenizer, device=encoder.device,
                       nbytes=torch_nbytes(encoder.model), extras={"folder": str(folder), "trained_here": False})


def load_hf_image_text(folder: Path, device, name: str, key: str) -> "HFImageTextEncoder":
    from transformers import AutoConfig, AutoModel, AutoProcessor

    config = AutoConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    if config.model_type not in IMAGE_TEXT_TYPES:
        raise ValueError(f"'{name}' is a '{config.model_type}' model, not an image-text model "
                         f"(supported: {', '.join(IMAGE_TEXT_TYPES)})")
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False,
                                      use_safetensors=True)
    processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    return HFImageTextEncoder(model, processor.image_processor, processor.tokenizer, name=name, cache_key=key,
                              device=device)


def _features(output):
    """transformers 5 returns model outputs from get_*_features (projection in pooler_output); 4.x a tensor."""
    if hasattr(output, "pooler_output"):
        return output.pooler_output
    return output


class HFImageTextEncoder(WrapsTorchModule):
    """A transformers CLIP / SigLIP model behind the app's `ImageTextEncoder` interface."""

    is_trained_here = False

    def __init__(self, model, image_processor, tokenizer, name: str, cache_key: str, device=None,
                 batch_size: int = 16) -> None:
        super().__init__(model, device)
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.name = name
        self.cache_key = cache_key
        self.batch_size = batch_size
        model_type = getattr(model.config, "model_type", "clip")
        # SigLIP scores each pair with a sigmoid (learned bias) and was trained on text padded to 64 tokens
        self.loss_kind = "sigmoid" if model_type.startswith("siglip") else "softmax"
        self._padding = "max_length" if self.loss_kind == "sigmoid" else True
        text_config = getattr(model.config, "text_config", None)
        self.max_text_tokens = int(getattr(text_config, "max_position_embeddings", 77) or 77)

    @property
    def logit_scale(self) -> float:
        return float(self.model.logit_scale.detach().exp().float().cpu())

    @property
    def logit_bias(self) -> float:
        bias = getattr(self.model, "logit_bias", None)
        return float(bias.detach().float().cpu().reshape(-1)[0]) if bias is not None else 0.0

    def embed_images(self, images: Sequence, progress: Progress | None = None) -> np.ndarray:
        import torch

        progress = ensure(progress)
        chunks = []
        for start in range(0, len(images), self.batch_size):
            progress.check()
            batch = [im if im.mode == "RGB" else im.convert("RGB") for im in images[start:start + self.batch_size]]
            inputs = self.image_processor(images=batch, return_tensors="pt")
            pixels = inputs["pixel_values"].to(self.device, dtype=next(self.model.parameters()).dtype)
            with torch.inference_mode():
                chunks.append(_features(self.model.get_image_features(pixel_values=pixels)).float().cpu().numpy())
            if len(images) > self.batch_size:
                progress.report(min(1.0, (start + len(batch)) / len(images)),
                                f"Embedding images: {start + len(batch)} of {len(images)}")
        dim = self.embed_dim
        return normalise(np.concatenate(chunks)) if chunks else np.zeros((0, dim), dtype=np.float32)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not len(texts):
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        inputs = self.tokenizer(list(texts), padding=self._padding, truncation=True,
                                max_length=self.max_text_tokens, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        if self.loss_kind == "sigmoid":
            inputs.pop("attention_mask", None)  # SigLIP's text tower attends to its padding, as trained
        with torch.inference_mode():
            return normalise(_features(self.model.get_text_features(**inputs)).float().cpu().numpy())

    @property
    def embed_dim(self) -> int:
        config = self.model.config
        return int(getattr(config, "projection_dim", 0) or getattr(config.text_config, "hidden_size", 0))


# --- captioners ----------------------------------------------------------------------------------
@dataclass
class QFormerOutputs:
    """What BLIP-2's Q-Former hands the language model for one image."""

    query_outputs: np.ndarray  # (n_queries, qformer hidden) the learned queries after reading the image
    query_similarity: np.ndarray  # (n_queries, n_queries) cosine between query outputs
    cross_attention: np.ndarray | None  # (n_queries, grid_h, grid_w) last layer, mean over heads, or None
    nearest_words: list[list[str]]  # per query: LLM vocabulary tokens closest to its projected vector
    llm_dim: int


def load_captioner(entry: CatalogueEntry, device, progress: Progress | None = None) -> LoadedModel:
    """BLIP (any computer) or BLIP-2 (only with a GPU that has the memory), from the Hub."""
    progress = ensure(progress)
    if not entry.hub_id:
        raise FileNotFoundError(f"no weights known for '{entry.id}'")
    is_blip2 = entry.id == "blip2" or "blip2" in entry.hub_id.lower()
    if is_blip2:
        check_blip2_fits(device)
    folder = hub.download(entry.hub_id, "captioner", progress)
    progress.check()
    progress.report(None, f"Loading {entry.title}")
    captioner = load_hf_captioner(folder, device, entry.title, is_blip2)
    return LoadedModel(entry=entry, model=captioner, tokenizer=captioner.processor, device=captioner.device,
                       nbytes=torch_nbytes(captioner.model), extras={"folder": str(folder), "blip2": is_blip2})


def check_blip2_fits(device) -> None:
    """Raise `NeedsGpu` with a plain explanation unless a CUDA GPU has room for BLIP-2."""
    import torch

    need_gb = BLIP2_MIN_GPU_BYTES / 1024**3
    if getattr(device, "type", str(device)) != "cuda" or not torch.cuda.is_available():
        raise NeedsGpu(f"BLIP-2 has 3.9 billion parameters and needs a CUDA GPU with at least {need_gb:.0f} GB of "
                       "memory; this computer runs models on the CPU. BLIP (base) captions on any computer.")
    free, total = torch.cuda.mem_get_info(device)
    if total < BLIP2_MIN_GPU_BYTES:
        raise NeedsGpu(f"BLIP-2 needs a GPU with at least {need_gb:.0f} GB of memory; this one has "
                       f"{total / 1024**3:.1f} GB. BLIP (base) works instead.")
    if free < BLIP2_MIN_GPU_BYTES * 0.8:
        raise NeedsGpu(f"BLIP-2 needs about {need_gb:.0f} GB of free GPU memory; {free / 1024**3:.1f} GB are free "
                       "now. Close other programs using the GPU, or use BLIP (base).")


def load_hf_captioner(folder: Path, device, name: str, is_blip2: bool) -> "Captioner":
    import torch
    from transformers import AutoProcessor, Blip2ForConditionalGeneration, BlipForConditionalGeneration

    cls = Blip2ForConditionalGeneration if is_blip2 else BlipForConditionalGeneration
    dtype = torch.float16 if is_blip2 else torch.float32
    model = cls.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False, use_safetensors=True,
                                dtype=dtype, attn_implementation="eager")
    processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    return Captioner(model, processor, name, device, is_blip2)


class Captioner(WrapsTorchModule):
    """BLIP or BLIP-2: image (+ optional prompt) -> text; BLIP-2 also shows its Q-Former's query outputs."""

    def __init__(self, model, processor, name: str, device=None, is_blip2: bool = False) -> None:
        super().__init__(model, device)
        self.processor = processor
        self.name = name
        self.is_blip2 = is_blip2

    def caption(self, images: Sequence, prompt: str = "", max_new_tokens: int = 30,
                progress: Progress | None = None) -> list[str]:
        import torch

        progress = ensure(progress)
        out: list[str] = []
        dtype = next(self.model.parameters()).dtype
        for i, image in enumerate(images):
            progress.check()
            progress.report(i / max(1, len(images)), f"Captioning image {i + 1} of {len(images)}")
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            kwargs = {"images": rgb, "return_tensors": "pt"}
            if prompt.strip():
                kwargs["text"] = prompt.strip()
            inputs = self.processor(**kwargs)
            inputs = {k: (v.to(self.device, dtype) if k == "pixel_values" else v.to(self.device))
                      for k, v in inputs.items()}
            with torch.inference_mode():
                ids = self.model.generate(**inputs, max_new_tokens=max_new_tokens)
            text = self.processor.batch_decode(ids, skip_special_tokens=True)[0].strip()
            if prompt.strip() and text.lower().startswith(prompt.strip().lower()):
                text = text[len(prompt.strip()):].strip()
            out.append(f"{prompt.strip()} {text}".strip() if prompt.strip() else text)
        return out

    def qformer_outputs(self, image, n_words: int = 3) -> QFormerOutputs:
        """Run the frozen image encoder and the Q-Former on one image (BLIP-2 only)."""
        if not self.is_blip2:
            raise ValueError("only BLIP-2 has a Q-Former; BLIP (base) feeds image features to its decoder directly")
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        pixels = self.processor(images=rgb, return_tensors="pt")["pixel_values"]
        return qformer_outputs(self.model, pixels.to(self.device), self.processor.tokenizer, n_words)


def qformer_outputs(model, pixel_values, tokenizer=None, n_words: int = 3) -> QFormerOutputs:
    """The real query-token outputs of a `Blip2ForConditionalGeneration` for pixel_values of one image."""
    import torch

    if getattr(model.config, "_attn_implementation", "eager") != "eager" and hasattr(model, "set_attn_implementation"):
        # sdpa returns no attention weights: the cross-attention maps need the eager path
        model.set_attn_implementation("eager")
    dtype = next(model.vision_model.parameters()).dtype
    with torch.inference_mode():
        image_embeds = model.vision_model(pixel_values=pixel_values.to(dtype), return_dict=True).last_hidden_state
        mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=image_embeds.device)
        queries = model.query_tokens.expand(image_embeds.shape[0], -1, -1)
        out = model.qformer(query_embeds=queries, encoder_hidden_states=image_embeds, encoder_attention_mask=mask,
                            output_attentions=True, return_dict=True)
        query = out.last_hidden_state[0].float()
        projected = model.language_projection(query.to(model.language_projection.weight.dtype)).float()
        cross = None
        cross_all = getattr(out, "cross_attentions", None)
        if cross_all:
            last = [a for a in cross_all if a is not None]
            if last:
                # (1, heads, queries, 1 + patches) -> mean over heads, drop the class token, to a square grid
                weights = last[-1][0].float().mean(dim=0)[:, 1:]
                side = int(round(weights.shape[1] ** 0.5))
                if side * side == weights.shape[1]:
                    cross = weights.reshape(weights.shape[0], side, side).cpu().numpy()
        words: list[list[str]] = []
        embeddings = model.get_input_embeddings().weight
        if tokenizer is not None and embeddings is not None:
            table = torch.nn.functional.normalize(embeddings.float(), dim=-1)
            sims = torch.nn.functional.normalize(projected, dim=-1) @ table.T
            top = sims.topk(n_words, dim=-1).indices.cpu().tolist()
            words = [[tokenizer.decode([i]).strip() or repr(tokenizer.convert_ids_to_tokens(i)) for i in row]
                     for row in top]
    query_np = query.cpu().numpy()
    unit = normalise(query_np)
    return QFormerOutputs(query_np, unit @ unit.T, cross, words, int(projected.shape[-1]))


# --- the mini-CLIP, trained here ----------------------------------------------------------------
def train_and_save_mini_clip(config=None, progress: Progress | None = None, device=None):
    """Train a mini-CLIP from scratch and save it where `load_image_text` finds it (unless cancelled).

    Returns mini_clip.TrainResult; result.encoder is ready to use either way.
    """
    from explorer.core import mini_clip

    progress = ensure(progress)
    result = mini_clip.train(config or mini_clip.TrainConfig.default(), progress, device=device)
    if not result.cancelled:
        progress.report(None, "Saving mini-CLIP")
        mini_clip.save(result.encoder, mini_clip_dir())
    if device is not None:
        result.encoder.to(device)
    return result


def mini_clip_loaded(encoder, entry: CatalogueEntry) -> LoadedModel:
    """Wrap a freshly trained encoder for the model store (so every view uses it at once)."""
    return LoadedModel(entry=entry, model=encoder, device=encoder.device, nbytes=torch_nbytes(encoder.model),
                       extras={"folder": str(mini_clip_dir()), "origin": "user", "trained_here": True,
                               "problems": []})
