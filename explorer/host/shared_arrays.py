"""Big numpy arrays between the GUI and the host, in shared memory instead of pickles.

The GUI side creates every segment and is the only side that unlinks it, so a
host that dies mid-job cannot leak one: the GUI unlinks what that job had. The
host asks for a segment of the size it needs, writes the array into it and
sends back a `SharedArrayRef`; the GUI copies the array out and unlinks.
Arrays under `MIN_SHARED_BYTES` (and every array when /dev/shm is full or
missing) travel in the pipe as ordinary pickled numpy arrays.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import shared_memory

MIN_SHARED_BYTES = 256 * 1024
_PLAIN = (str, int, float, bool, bytes)


@dataclass(frozen=True)
class SharedArrayRef:
    """Where the host put an array: a segment the GUI created, with the array's shape and dtype."""

    segment: str
    shape: tuple[int, ...]
    dtype: str


def create_segment(nbytes: int) -> shared_memory.SharedMemory | None:
    """A new segment of at least `nbytes` (GUI side), or None when shared memory is unavailable or full."""
    try:
        return shared_memory.SharedMemory(create=True, size=max(1, nbytes))
    except (OSError, ValueError):
        return None


def attach_segment(name: str) -> shared_memory.SharedMemory:
    """Open a segment the GUI created (host side).

    Python < 3.13 registers an attached segment with the resource tracker too; a spawned child shares
    its parent's tracker, so that second registration is a no-op and the GUI's unlink clears it.
    """
    return shared_memory.SharedMemory(name=name)


def release_segment(segment: shared_memory.SharedMemory) -> None:
    """Close and unlink a segment (GUI side); safe to call twice."""
    try:
        segment.close()
    except (OSError, BufferError):
        pass
    try:
        segment.unlink()
    except (FileNotFoundError, OSError):
        pass


def _map(value: object, leaf: Callable[[object], object]) -> object:
    """`value` with `leaf` applied to every array-like leaf, through dicts, lists, tuples and dataclasses."""
    if isinstance(value, SharedArrayRef):
        return leaf(value)
    if isinstance(value, dict):
        return {k: _map(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        if value and type(value[0]) in _PLAIN and all(type(v) is type(value[0]) for v in value):
            return value  # 400k word labels: no walk item by item
        return [_map(v, leaf) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_map(v, leaf) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = copy.copy(value)
        for f in dataclasses.fields(value):
            new = _map(getattr(value, f.name), leaf)
            if new is not getattr(value, f.name):
                object.__setattr__(clone, f.name, new)
        return clone
    return leaf(value)


def pack(value: object, request_segment: Callable[[int], str | None]) -> object:
    """Host side: replace each big numpy array in `value` by a `SharedArrayRef` to a segment holding it.

    `request_segment(nbytes)` asks the GUI for a segment and returns its name (None: keep the array
    in the pickle).
    """
    import numpy as np

    def leaf(item: object) -> object:
        if not isinstance(item, np.ndarray) or item.nbytes < MIN_SHARED_BYTES or item.dtype.hasobject:
            return item
        name = request_segment(item.nbytes)
        if name is None:
            return item
        segment = attach_segment(name)
        try:
            target = np.ndarray(item.shape, dtype=item.dtype, buffer=segment.buf)
            target[...] = item
            del target
        finally:
            segment.close()
        return SharedArrayRef(name, tuple(item.shape), item.dtype.str)

    return _map(value, leaf)


def unpack(value: object, segments: dict[str, shared_memory.SharedMemory],
           used: set[str] | None = None) -> object:
    """GUI side: replace each `SharedArrayRef` by a numpy array copied out of its segment.

    The names of the segments read are added to `used` (the caller frees exactly those).
    """
    import numpy as np

    def leaf(item: object) -> object:
        if not isinstance(item, SharedArrayRef):
            return item
        if used is not None:
            used.add(item.segment)
        segment = segments[item.segment]
        view = np.ndarray(item.shape, dtype=np.dtype(item.dtype), buffer=segment.buf)
        array = view.copy()
        del view
        return array

    return _map(value, leaf)
