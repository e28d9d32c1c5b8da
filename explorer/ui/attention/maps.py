"""The GUI's handle on the attention maps that stay in the model host: views ask it for what they draw.

A run's [L, H, T, T] maps live in the host (on the GPU when there is one). A view asks for one
[T, T] map (a head, a layer's mean, the mean of all heads) or one token pair's weights in every
head; the answer comes back on the GUI thread and a few recent maps are kept. Clicking through
heads quickly only ever waits for the request in flight and the latest choice.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

KEEP_MAPS = 12  # recent maps per run kept in the GUI (a 1,024-token map is 4 MB)


class HostMaps:
    """The maps of one run of the host ("main", "local", "compare.encoder" ...), for the result it is bound to."""

    def __init__(self, engine, run: str, on_error: Callable[[str], None]) -> None:
        self.engine = engine
        self.run = run
        self.on_error = on_error
        self.result = None  # AttentionResult without maps: the run these answers belong to
        self._maps: dict[tuple, np.ndarray] = {}
        # kind ("map", "pair") -> (what is asked for, the callbacks waiting for it): the request in flight,
        # and the latest one waiting for it to come back
        self._flying: dict[str, tuple[tuple, list[Callable[[], None]]]] = {}
        self._next: dict[str, tuple] = {}

    def bind(self, result) -> None:
        """The run now holds `result` (its ids): what was fetched for an earlier result is forgotten."""
        if result is not self.result:
            self._maps.clear()
            self._flying.clear()
            self._next.clear()
            self.result = result

    def _ask(self, kind: str, key: tuple, on_ready: Callable[[], None], operation: str, arguments: dict,
             keep: Callable[[object], None], title: str) -> None:
        """Ask the host for `key`; every callback that waits for it runs when it comes.

        One request per kind is in flight; a newer one waits for it and replaces any other waiting
        one (the latest choice wins). The request in flight is not cancelled: it takes milliseconds,
        and a cancelled job that does not stop at once costs a restart of the model process.
        """
        flying = self._flying.get(kind)
        if flying is not None and flying[0] == key:
            flying[1].append(on_ready)
            return
        waiting = self._next.get(kind)
        if waiting is not None and waiting[0] == key:
            waiting[1].append(on_ready)
            return
        request = (key, [on_ready], operation, arguments, keep, title)
        if flying is not None:
            self._next[kind] = request  # sent when the one in flight is back
        else:
            self._send(kind, request)

    def _send(self, kind: str, request: tuple) -> None:
        key, waiting, operation, arguments, keep, title = request
        self._flying[kind] = (key, waiting)
        result = self.result

        def finish() -> None:
            self._flying.pop(kind, None)
            after = self._next.pop(kind, None)
            if after is not None and self.result is result:
                self._send(kind, after)

        def done(value) -> None:
            if self.result is not result:
                return  # another text meanwhile (bind() forgot the requests)
            finish()
            keep(value)
            for callback in waiting:
                callback()

        def failed(message: str) -> None:
            if self.result is result:
                finish()
                self.on_error(message)

        # never two of a kind in flight, so the owner supersedes nothing (but a request for an earlier
        # result that bind() forgot, which is then cancelled)
        self.engine.run(operation, {"run": self.run, "ids": list(result.token_ids), **arguments},
                        owner=f"attention.{kind}.{self.run}", title=title, on_result=done, on_error=failed)

    @staticmethod
    def _key(mode: str, layer: int, head: int) -> tuple:
        return mode, layer if mode != "all" else 0, head if mode == "head" else 0

    def cached(self, mode: str, layer: int, head: int) -> np.ndarray | None:
        return self._maps.get(self._key(mode, layer, head))

    def matrix(self, mode: str, layer: int, head: int, on_ready: Callable[[], None],
               of=None) -> np.ndarray | None:
        """The [T, T] map now if it is here; else None, and `on_ready()` once the host has sent it.

        `of`: the result the caller shows; None (nothing asked) while this run holds another one, so a view
        that keeps its own result never draws a newer text's map with its tokens.
        """
        if of is not None and of is not self.result:
            return None
        key = self._key(mode, layer, head)
        found = self._maps.get(key)
        if found is not None or self.result is None:
            return found

        def keep(values: np.ndarray) -> None:
            self._maps[key] = values
            while len(self._maps) > KEEP_MAPS:
                self._maps.pop(next(iter(self._maps)))

        self._ask("map", key, on_ready, "attention.map", {"mode": mode, "layer": layer, "head": head}, keep,
                  "Attention map")
        return None

    def thumbs(self, layer: int, size: int, on_ready: Callable[[], None]) -> np.ndarray | None:
        """[1, H, s, s] one layer's thumbnails at `size` now if they are here; else None, and `on_ready()` later."""
        key = ("thumbs", layer, size)
        found = self._maps.get(key)
        if found is None and self.result is not None:
            self._ask("thumbs", key, on_ready, "attention.thumbs", {"layer": layer, "size": size},
                      lambda values: self._maps.__setitem__(key, values), "Thumbnails of a layer")
        return found

    def pair(self, query: int, key: int, on_ready: Callable[[], None]) -> bool:
        """Whether the weights `query` -> `key` in every head (and the first token's habit) are here; if not,
        ask the host and call `on_ready()` when they are."""
        result = self.result
        if result is None or result.has_pair(query, key):
            return result is not None
        self._ask("pair", (query, key), on_ready, "attention.pair", {"query": query, "key": key},
                  lambda value: result.remember_pair(query, key, *value), "Weights of a token pair")
        return False


class HostRuns:
    """One HostMaps per run name; they share the engine and where errors are shown."""

    def __init__(self, engine, on_error: Callable[[str], None]) -> None:
        self.engine = engine
        self.on_error = on_error
        self._runs: dict[str, HostMaps] = {}

    def __getitem__(self, run: str) -> HostMaps:
        if run not in self._runs:
            self._runs[run] = HostMaps(self.engine, run, self.on_error)
        return self._runs[run]
