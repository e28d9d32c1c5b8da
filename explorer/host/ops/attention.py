"""Operations of the Attention pane, run in the model host.

"attention.run" keeps the full analysis (the [L, H, T, T] maps) in `ctx.state`
under the caller's run name; head entropy reads the maps from there, so the
GUI never sends maps back. Operations on a run's text take its ids (small):
a run that superseded it in the host meanwhile cannot mix up the answers. What is returned is plain data: the model's config travels as a
`PlainConfig` (its JSON fields), never as a transformers object, so the GUI
process does not import transformers to read it.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from explorer.host.operations import operation

RUNS = "attention.runs"  # ctx.state key: run name -> the full Analysis
MAX_RUNS = 4  # the pane, a benchmark, a test: older runs are dropped


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


def _remember(ctx, run: str, analysis) -> None:
    runs = ctx.state.setdefault(RUNS, {})
    runs.pop(run, None)
    runs[run] = analysis
    while len(runs) > MAX_RUNS:
        runs.pop(next(iter(runs)))


def _stored(ctx, run: str, ids: list[int] | None = None):
    analysis = ctx.state.get(RUNS, {}).get(run)
    if analysis is None:
        raise LookupError("The model process was restarted: press Run again.")
    if ids is not None and list(analysis.result.token_ids) != list(ids):
        raise LookupError("The text changed meanwhile: press Run again.")
    return analysis


def for_gui(analysis):
    """The analysis as the GUI receives it: the same numbers, the config as plain data."""
    from dataclasses import replace

    return replace(analysis, config=plain_config(analysis.config))


@operation("attention.run")
def run(ctx, *, model_id: str, text: str | None = None, ids: list[int] | None = None,
        truncated_from: int | None = None, run: str = "main"):
    """Tokens, attention maps, thumbnails, next-token candidates and the logit lens for a text (or ids)."""
    from explorer.core.attention import analyse, analyse_ids

    loaded = _text_model(ctx, model_id)
    if ids is not None:
        analysis = analyse_ids(loaded, list(ids), ctx, truncated_from=truncated_from)
    else:
        analysis = analyse(loaded, text or "", ctx)
    _remember(ctx, run, analysis)
    return for_gui(analysis)


@operation("attention.entropy")
def entropy(ctx, *, run: str = "main", ids: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """[L, H] mean row entropy of every head of the run (that has these `ids`), with and without the first token."""
    from explorer.core.attention import head_entropy

    result = _stored(ctx, run, ids).result
    ctx.report(None, "Entropy of every head")
    if result.stats.entropy is None or result.stats.entropy_rest is None:
        result.stats.entropy = head_entropy(result.attentions)
        result.stats.entropy_rest = head_entropy(result.attentions, skip_first=True)
    return result.stats.entropy, result.stats.entropy_rest


@operation("attention.capture")
def capture(ctx, *, model_id: str, ids: list[int], layer: int, causal: bool):
    """What one layer's attention saw and produced (x, weights, Q, K, V, scores) for these ids."""
    from explorer.core.qkv import capture_layer

    loaded = ctx.models.get(model_id, "model", ctx)
    return capture_layer(loaded.model, list(ids), int(layer), causal=causal, progress=ctx)


@operation("attention.local")
def local(ctx, *, model_id: str, ids: list[int], causal: bool, settings):
    """These ids again with a local / sparse mask in every layer, and the five likeliest next tokens."""
    from explorer.core.generation import candidates
    from explorer.core.local_attention import run_with_mask

    loaded = ctx.models.get(model_id, "model", ctx)
    result = run_with_mask(loaded.model, loaded.tokenizer, list(ids), settings, causal=causal,
                           model_id=model_id, progress=ctx)
    nxt = candidates(loaded.tokenizer, result.next_logits, k=5) if result.next_logits is not None else None
    return result, nxt


@operation("attention.compare")
def compare(ctx, *, text: str) -> tuple[dict, dict]:
    """The same text through the encoder (MiniLM) and the decoder (SmolLM2)."""
    from explorer.core.attention import extract_attention

    results, titles = {}, {}
    for side, model_id in (("encoder", "minilm"), ("decoder", "smollm2")):
        loaded = ctx.models.get(model_id, "model", ctx)
        result = extract_attention(loaded.model, loaded.tokenizer, text, model_id=model_id,
                                   causal=bool(loaded.extras.get("causal")), entropy=False, progress=ctx)
        result.overall_mean  # noqa: B018 - averaged here, not on the GUI thread
        results[side], titles[side] = result, loaded.entry.title
    return results, titles


@operation("attention.generate")
def generate(ctx, *, model_id: str, ids: list[int], total: int, logits: np.ndarray, settings,
             seed: int | None, stream: tuple[str, bytes, int] | None = None, run: str = "main"):
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
    analysis = analyse_ids(loaded, window, ctx, truncated_from=cut)
    _remember(ctx, run, analysis)
    return step, completed, after.plain_state(), for_gui(analysis)
