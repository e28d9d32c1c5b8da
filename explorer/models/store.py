"""The worker's model cache: loads on first use, keeps models within a memory bound.

Owned by exactly one thread (the engine's worker), so it takes no locks.
"""
from __future__ import annotations

from collections import OrderedDict

from explorer.core.progress import Progress
from explorer.models import catalogue, device as devices, loader
from explorer.models.catalogue import CatalogueEntry
from explorer.models.loaded import LoadedModel

DEFAULT_BUDGET_BYTES = 6 * 1024**3


class ModelStore:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES, preference: str = "auto") -> None:
        self.budget_bytes = budget_bytes
        self._preference = preference
        self._device = None
        self._cache: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()

    # --- device ---
    @property
    def device(self):
        if self._device is None:
            self._device = devices.resolve(self._preference)
        return self._device

    @property
    def preference(self) -> str:
        return self._preference

    def set_preference(self, preference: str) -> None:
        """Switch between auto (GPU if any) and CPU; cached torch models move along."""
        self._preference = preference
        self._move_all(devices.resolve(preference))

    def fall_back_to_cpu(self) -> None:
        """After a GPU out-of-memory error: run on the CPU until the user changes device."""
        import torch

        self._move_all(torch.device("cpu"))
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _move_all(self, device) -> None:
        self._device = device
        for loaded in self._cache.values():
            if loaded.device is not None and hasattr(loaded.model, "to"):
                loaded.model.to(device)
                loaded.device = device

    def warm_up(self) -> None:
        """Import what loading the default models needs, once, right after the window appears.

        Module imports hold the GIL for tens of milliseconds at a time; done
        here they cannot stutter the GUI in the middle of a user's request.
        """
        import transformers  # noqa: F401
        from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer  # noqa: F401
        from transformers.models.bert import modeling_bert  # noqa: F401
        from transformers.models.llama import modeling_llama  # noqa: F401

        try:  # transformers 5 builds (and caches) a big table of regexes on the first load
            from transformers.conversion_mapping import get_checkpoint_conversion_mapping

            get_checkpoint_conversion_mapping("llama")
        except ImportError:
            pass

    # --- models ---
    def get(self, model_id: str, kind: str, progress: Progress | None = None) -> LoadedModel:
        """The loaded model for `model_id` of `kind` ("tokenizer", a model kind or "model")."""
        entry = catalogue.find(model_id, kind)
        return self.get_entry(entry, progress)

    def get_entry(self, entry: CatalogueEntry, progress: Progress | None = None) -> LoadedModel:
        key = (("tokenizer" if entry.kind == "tokenizer" else "model"), entry.id)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        loaded = loader.load(entry, self.device, progress)
        self._cache[key] = loaded
        self._evict(keep=key)
        return loaded

    def put(self, key: tuple[str, str], loaded: LoadedModel) -> None:
        """Add an object built elsewhere (a tokenizer the user trained, say)."""
        self._cache[key] = loaded
        self._evict(keep=key)

    def loaded_ids(self) -> list[tuple[str, str]]:
        return list(self._cache)

    def used_bytes(self) -> int:
        return sum(m.nbytes for m in self._cache.values())

    def _evict(self, keep: tuple[str, str]) -> None:
        while self.used_bytes() > self.budget_bytes and len(self._cache) > 1:
            oldest = next(k for k in self._cache if k != keep)
            del self._cache[oldest]

    def clear(self) -> None:
        self._cache.clear()
