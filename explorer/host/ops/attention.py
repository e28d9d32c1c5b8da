"""Operations of the Attention pane, run in the model host.

"attention.run" keeps the full analysis in `ctx.state` under the caller's run
name, its [L, H, T, T] maps on the model's device (the GPU when there is one),
and returns everything else: tokens, [L, H] statistics, thumbnails pooled to
the size the grid is drawn. The GUI then asks for what it draws: one head's
map or a mean ("attention.map"), one token pair's weights in every head
("attention.pair", for rankings), the entropy of every head, one head of a
layer's Q/K/V capture ("attention.head"). Operations on a run take its ids
(small): a run that superseded it in the host meanwhile cannot mix up the
answers, and a host that restarted says "press Run again". What is returned is
plain data: the model's config travels as a `PlainConfig` (its JSON fields),
never as a transformers object, so the GUI process does not import
transformers to read it.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from explorer.host.operations import operation

RUNS = "attention.runs"  # ctx.state key: run name -> its AttentionResult, maps included
# the pane's main run, its masked rerun and the two sides of the comparison, and one more (a benchmark, a test)
MAX_RUNS = 5
CAPTURES = "attention.captures"  # ctx.state key: (model, ids, layer, causal) -> LayerCapture
MAX_CAPTURES = 4


class PlainConfig(SimpleNamespace):
    """A model config's plain fields, read with getattr like the transformers object."""


def plain_config(config) -> PlainConfig:
    """The JSON-able fields of a transformers config (nested configs as dicts)."""
    fields = config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))
    keep = {k: v for k, v in fields.items() if isinstance(v, (str, int, float, bool, list, tuple, dict, type(None)))}
    return PlainConfig(**keep)


def _text_model(ctx, model_id: str):
    loaded = ctx.models.get(model_id, "model", ctx)
    if loaded.entry.kind not in ("encoder", "causal-lm"):
        raise ValueError(f"{model_id} is not a text model")
    return loaded


def _remember(ctx, run: str, result) -> None:
    runs = ctx.state.setdefault(RUNS, {})
    runs.pop(run, None)
    runs[run] = result
    while len(runs) > MAX_RUNS:
        runs.pop(next(iter(runs)))


def _stored(ctx, run: str, ids: list[int] | None = None):
    """The AttentionResult (maps included) of `run`, if it still has these `ids`."""
    result = ctx.state.get(RUNS, {}).get(run)
    if result is None:
        raise LookupError("The model process was restarted: press Run again.")
    if ids is not None and list(result.token_ids) != list(ids):
        raise LookupError("The text changed meanwhile: press Run again.")
    return result


def for_gui(analysis):
    """The analysis as the GUI receives it: no maps (they stay here), the config as plain data."""
    from dataclasses import replace

    return replace(analysis, result=analysis.result.without_maps(), config=plain_config(analysis.config))


@operation("attention.run")
def run(ctx, *, model_id: str, text: str | None = None, ids: list[int] | None = None,
        truncated_from: int | None = None, run: str = "main", grid_pixels: tuple[int, int] | None = None):
    """Tokens, statistics, thumbnails, next-token candidates and the logit lens for a text (or ids).

    The maps stay in `ctx.state` (on the model's device); thumbnails are pooled to `grid_pixels`.
    """
    from explorer.core.attention import analyse, analyse_ids

    loaded = _text_model(ctx, model_id)
    ctx.state.get(RUNS, {}).pop(run, None)  # the run it replaces: its maps' memory is free for this one
    if ids is not None:
        analysis = analyse_ids(loaded, list(ids), ctx, truncated_from=truncated_from, on_device=True,
                               grid_pixels=grid_pixels)
    else:
        analysis = analyse(loaded, text or "", ctx, on_device=True, grid_pixels=grid_pixels)
    _remember(ctx, run, analysis.result)
    return for_gui(analysis)


@operation("attention.map")
def head_map(ctx, *, run: str = "main", ids: list[int] | None = None, mode: str = "head", layer: int = 0,
             head: int = 0) -> np.ndarray:
    """[T, T] what a map view shows: one head ("head"), a layer's mean ("layer") or every head's ("all")."""
    result = _stored(ctx, run, ids)
    if mode not in ("head", "layer", "all"):
        raise ValueError(f"no map mode {mode!r}")
    layer = max(0, min(int(layer), result.num_layers - 1))
    head = max(0, min(int(head), result.num_heads - 1))
    return np.ascontiguousarray(result.shown(mode, layer, head), dtype=np.float32)


@operation("attention.thumbs")
def layer_thumbnails(ctx, *, run: str = "main", ids: list[int] | None = None, layer: int = 0,
                     size: int = 48) -> np.ndarray:
    """[1, H, s, s] one layer's thumbnails at the size a view draws them (the model view's are smaller)."""
    from explorer.core.attention import thumbnails

    result = _stored(ctx, run, ids)
    layer = max(0, min(int(layer), result.num_layers - 1))
    return thumbnails(result.attentions[layer:layer + 1], max(4, min(int(size), 256)))


@operation("attention.stored")
def stored(ctx, *, run: str = "main", ids: list[int] | None = None) -> dict:
    """Where the host keeps a run's maps and how big they are (the GPU check reports it)."""
    maps = _stored(ctx, run, ids).attentions
    return {"device": str(getattr(maps, "device", "cpu")), "mb": round(maps.numel() * maps.element_size() / 1e6, 1)}


@operation("attention.pair")
def pair(ctx, *, run: str = "main", ids: list[int] | None = None, query: int = 0,
         key: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """[L, H] twice: how much `query` attends to `key` in every head, and what the other tokens give the first."""
    result = _stored(ctx, run, ids)
    query = max(0, min(int(query), result.num_tokens - 1))
    key = max(0, min(int(key), result.num_tokens - 1))
    return result.between(query, key).astype(np.float32), result.habit(query).astype(np.float32)


@operation("attention.entropy")
def entropy(ctx, *, run: str = "main", ids: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """[L, H] mean row entropy of every head of the run (that has these `ids`), with and without the first token."""
    from explorer.core.attention import head_entropy

    result = _stored(ctx, run, ids)
    ctx.report(None, "Entropy of every head")
    if result.stats.entropy is None or result.stats.entropy_rest is None:
        result.stats.entropy = head_entropy(result.attentions)
        result.stats.entropy_rest = head_entropy(result.attentions, skip_first=True)
    return result.stats.entropy, result.stats.entropy_rest


@operation("attention.head")
def head(ctx, *, model_id: str, ids: list[int], layer: int, head: int, query: int, causal: bool):
    """One head of one layer's attention for these ids (x, Q, K, V, scores, the step-through for `query`).

    The layer's capture stays here: the next head or query of the same layer costs no forward pass.
    """
    from explorer.core.qkv import capture_layer, head_capture

    captures = ctx.state.setdefault(CAPTURES, {})
    key = (model_id, tuple(int(i) for i in ids), int(layer), bool(causal))
    layer_capture = captures.pop(key, None)
    if layer_capture is None:
        loaded = ctx.models.get(model_id, "model", ctx)
        layer_capture = capture_layer(loaded.model, list(ids), int(layer), causal=causal, progress=ctx)
    captures[key] = layer_capture
    while len(captures) > MAX_CAPTURES:
        captures.pop(next(iter(captures)))
    return head_capture(layer_capture, max(0, min(int(head), layer_capture.num_heads - 1)),
                        max(0, min(int(query), len(ids) - 1)))


def _largest_change(a, b) -> float:
    """max |a - b| over two [L, H, T, T] maps, one layer at a time (no third full-size tensor)."""
    return max(float((a[i] - b[i]).abs().max()) for i in range(a.shape[0])) if a.shape == b.shape else float("nan")


@operation("attention.local")
def local(ctx, *, model_id: str, ids: list[int], causal: bool, settings, run: str = "local", full: str = "main"):
    """These ids again with a local / sparse mask in every layer: (result without maps, the five likeliest
    next tokens, the largest change from the `full` run's maps). The masked maps stay here as `run`."""
    from explorer.core.generation import candidates
    from explorer.core.local_attention import run_with_mask

    loaded = ctx.models.get(model_id, "model", ctx)
    ctx.state.get(RUNS, {}).pop(run, None)
    result = run_with_mask(loaded.model, loaded.tokenizer, list(ids), settings, causal=causal,
                           model_id=model_id, progress=ctx, on_device=True)
    nxt = candidates(loaded.tokenizer, result.next_logits, k=5) if result.next_logits is not None else None
    reference = ctx.state.get(RUNS, {}).get(full)
    change = None
    if reference is not None and list(reference.token_ids) == list(ids):
        change = _largest_change(result.attentions, reference.attentions)
    _remember(ctx, run, result)
    return result.without_maps(), nxt, change


@operation("attention.compare")
def compare(ctx, *, text: str) -> tuple[dict, dict]:
    """The same text through the encoder (MiniLM) and the decoder (SmolLM2): results without maps, titles.

    The maps stay here as the runs "compare.encoder" and "compare.decoder".
    """
    from explorer.core.attention import encode, extract_attention_ids

    results, titles = {}, {}
    for side, model_id in (("encoder", "minilm"), ("decoder", "smollm2")):
        loaded = ctx.models.get(model_id, "model", ctx)
        ids, truncated = encode(loaded.tokenizer, text, loaded.model.config)
        result = extract_attention_ids(loaded.model, loaded.tokenizer, ids, model_id=model_id,
                                       causal=bool(loaded.extras.get("causal")), entropy=False, progress=ctx,
                                       truncated_from=truncated, on_device=True)
        _remember(ctx, f"compare.{side}", result)
        results[side], titles[side] = result.without_maps(), loaded.entry.title
    return results, titles


@operation("attention.generate")
def generate(ctx, *, model_id: str, ids: list[int], total: int, logits: np.ndarray, settings,
             seed: int | None, stream: tuple[str, bytes, int] | None = None, run: str = "main",
             grid_pixels: tuple[int, int] | None = None):
    """One more token chosen from `logits`, appended to `ids` (never re-tokenized), and the model rerun.

    `stream` is the text stream's plain state (text, pending bytes, flag) from the previous step, so a
    character split over tokens completes with its last byte. Returns (step, the characters the token
    completes, the new stream state, the new analysis).
    """
    from explorer.core.attention import analyse_ids, last_window, max_tokens, special_frame
    from explorer.core.generation import TextStream, next_step

    loaded = _text_model(ctx, model_id)
    step = next_step(loaded.tokenizer, logits, settings, np.random.default_rng(seed))
    after = TextStream.from_state(loaded.tokenizer, stream)
    completed = after.push(step.id)
    # the maps' memory limit: past it, the window slides and keeps the newest tokens
    window = last_window(list(ids) + [step.id], max_tokens(loaded.model.config), special_frame(loaded.tokenizer))
    cut = total + 1 if total + 1 > len(window) else None
    ctx.state.get(RUNS, {}).pop(run, None)
    analysis = analyse_ids(loaded, window, ctx, truncated_from=cut, on_device=True, grid_pixels=grid_pixels)
    _remember(ctx, run, analysis.result)
    return step, completed, after.plain_state(), for_gui(analysis)
