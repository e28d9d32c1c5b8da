"""Ranking attention heads for the pane's "Rank heads by" list, and the attention-sink notes that go with it.

Plain numpy over an `AttentionResult`'s statistics and the token pair's weights; no model runs here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.attention import SINK_SHARE, AttentionResult


def rank_heads(values: np.ndarray, descending: bool = True) -> list[tuple[int, int, float]]:
    """(layer, head, value) for every head, best first."""
    flat = values.reshape(-1)
    order = np.argsort(-flat if descending else flat, kind="stable")
    heads = values.shape[1]
    return [(int(i // heads), int(i % heads), float(flat[i])) for i in order]


def sink_heads(result: AttentionResult) -> np.ndarray:
    """bool [L, H]: heads that give the first token at least SINK_SHARE of every token's weight on average."""
    return result.stats.first >= SINK_SHARE


def first_token_habit(result: AttentionResult, query: int) -> np.ndarray:
    """[L, H]: the mean weight the OTHER tokens (after the first) give the first token in each head.

    What a head gives the first token anyway; a query's weight above it is about this query.
    """
    return result.habit(query)


def first_token_excess(matrix: np.ndarray, query: int) -> tuple[float, float]:
    """(habit, excess) for one [T, T] map: what the other tokens give the first token on average, and
    how much more `query` gives it."""
    rows = [i for i in range(1, matrix.shape[0]) if i != query]
    habit = float(matrix[rows, 0].mean()) if rows else 0.0
    return habit, float(matrix[query, 0]) - habit


@dataclass
class Ranking:
    rows: list[tuple[int, int, float]]  # (layer, head, value), best first
    value: str  # what the value column means
    note: str = ""  # says when the first token (an attention sink) dominates, or how it was left out
    sink_dominated: bool = False


def rank_by(result: AttentionResult, key: str, query: int = 0, target: int = 0, skip_first: bool = False,
            top: int = 10) -> Ranking:
    """Heads ranked by `key` ("between", "previous", "first", "entropy"), optionally without the first token.

    Where the first token decides the ranking (the key token IS the first token, or the ranking
    is attention to the first token) the note says so. With `skip_first`:
    "between" with the first token as the key ranks by the weight above the head's habit (what
    the other tokens give the first token), so a sink head, which gives it everything from
    every token, scores near 0; "previous" skips the second token (whose previous token is the
    first) and "entropy" renormalises the rows without the first token. An empty ranking
    (entropy not computed yet, or a masked pair) has no rows.
    """
    first_label = display_token(result.tokens[0]) if result.tokens else "?"
    sinks = sink_heads(result)
    n_sinks = int(sinks.sum())
    total = sinks.size
    if key == "between":
        q = max(0, min(query, result.num_tokens - 1))
        k = max(0, min(target, result.num_tokens - 1))
        if not result.visible()[q, k]:
            return Ranking([], "weight", "")
        names = f"“{display_token(result.tokens[q])}” → “{display_token(result.tokens[k])}”"
        if k == 0 and q > 0:
            if skip_first:
                excess = result.between(q, 0) - first_token_habit(result, q)
                return Ranking(rank_heads(excess), "weight above habit",
                               f"{names}: the key is the first token, where {n_sinks} of {total} heads park "
                               "attention (an attention sink). Ranked by how much MORE "
                               f"“{display_token(result.tokens[q])}” attends to it than the head's other tokens "
                               "do: sink heads score near 0.")
            rows = rank_heads(result.between(q, k))
            in_top = sum(bool(sinks[l_, h]) for l_, h, _ in rows[:top])
            dominated = in_top > top // 2
            note = (f"{names}: the key is the first token, an attention sink: {in_top} of these top {top} heads "
                    f"give the first token over {SINK_SHARE:.0%} of EVERY token's weight, so their high values "
                    "say little about this pair. Tick “Leave out the first token” to rank by the weight above "
                    "that habit.") if dominated else ""
            return Ranking(rows, "weight", note, dominated)
        return Ranking(rank_heads(result.between(q, k)), "weight")
    if key == "first":
        return Ranking(rank_heads(result.stats.first), "mean weight",
                       f"This ranking measures the attention sink itself: {n_sinks} of {total} heads give the first "
                       f"token “{first_label}” over {SINK_SHARE:.0%} of every token's weight.", True)
    values = result.stats.by_name(key, skip_first)
    if values is None:
        return Ranking([], "bits" if key == "entropy" else "mean weight")
    rows = rank_heads(values, descending=key != "entropy")
    value = "bits" if key == "entropy" else "mean weight"
    if skip_first:
        what = ("rows renormalised without the first token" if key == "entropy"
                else "from the third token on (the second token's previous token is the first)")
        return Ranking(rows, value, f"First token “{first_label}” left out: {what}.")
    in_top = sum(bool(sinks[l_, h]) for l_, h, _ in rows[:top])
    if key == "entropy" and in_top > top // 2:
        return Ranking(rows, value, f"{in_top} of these top {top} “focused” heads are focused on the first token "
                       f"“{first_label}” (an attention sink). Tick “Leave out the first token” to rank how "
                       "they "
                       "spread the rest.", True)
    return Ranking(rows, value)


def display_token(token: str) -> str:
    """A token for a caption: byte-level space markers as spaces, trimmed."""
    return token.replace("Ġ", " ").replace("▁", " ").strip() or token
