"""The worker's model cache: loads once, keeps within its memory bound, evicts the least recently used."""
from explorer.models import loader, store as store_module
from explorer.models.loaded import LoadedModel


def fake_loader(calls):
    def load(entry, device, progress=None):
        calls.append(entry.id)
        return LoadedModel(entry=entry, model=object(), nbytes=400)
    return load


def test_a_model_is_loaded_once_and_then_reused(monkeypatch):
    calls = []
    monkeypatch.setattr(loader, "load", fake_loader(calls))
    store = store_module.ModelStore(budget_bytes=10_000, preference="cpu")
    first = store.get("minilm", "encoder")
    assert store.get("minilm", "encoder") is first
    assert calls == ["minilm"]


def test_the_memory_bound_evicts_the_least_recently_used(monkeypatch):
    calls = []
    monkeypatch.setattr(loader, "load", fake_loader(calls))
    store = store_module.ModelStore(budget_bytes=1000, preference="cpu")  # room for two 400-byte models
    store.get("minilm", "encoder")
    store.get("smollm2", "causal-lm")
    store.get("minilm", "encoder")  # touch: smollm2 is now the oldest
    store.get("glove-50d", "word-vectors")
    assert store.used_bytes() <= 1000
    assert ("model", "smollm2") not in store.loaded_ids()
    assert ("model", "minilm") in store.loaded_ids()


def test_tokenizers_and_models_with_the_same_id_are_distinct(monkeypatch):
    calls = []
    monkeypatch.setattr(loader, "load", fake_loader(calls))
    store = store_module.ModelStore(budget_bytes=10_000, preference="cpu")
    assert store.get("gpt2", "tokenizer").entry.kind == "tokenizer"
    assert store.get("smollm2", "causal-lm").entry.kind == "causal-lm"
    assert store.get("smollm2", "tokenizer").entry.kind == "tokenizer"
    assert len(calls) == 3


def test_real_models_load_eager_in_eval_mode_from_safetensors():
    store = store_module.ModelStore(preference="cpu")
    loaded = store.get("minilm", "encoder")
    assert not loaded.model.training
    assert loaded.model.config._attn_implementation == "eager"
    assert loaded.device.type == "cpu"
    assert loaded.nbytes > 50_000_000
