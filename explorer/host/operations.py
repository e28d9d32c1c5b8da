"""The registry of named operations the model host serves.

An operation is a plain function `op(ctx, **arguments)` registered with
`@operation("topic.verb")`. Arguments and results are plain data (str, numbers,
lists, dicts, numpy arrays, dataclasses of those): nothing that needs the
caller's objects. `ctx` is a `HostContext`: the model store, progress,
partial results, cooperative cancellation, and `state`, a dict that lives as
long as the host so that big results (attention maps) can stay where they were
computed and later operations can read slices of them.

The operations themselves live in `explorer/host/ops/`, one module per topic;
`load()` imports them all.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

OPERATIONS: dict[str, Callable[..., Any]] = {}


def operation(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn` as the operation `name` (names are unique)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in OPERATIONS and OPERATIONS[name] is not fn:
            raise ValueError(f"operation {name!r} is registered twice")
        OPERATIONS[name] = fn
        return fn

    return register


def load(extra_modules: tuple[str, ...] | list[str] = ()) -> dict[str, Callable[..., Any]]:
    """Import every module of explorer.host.ops (and `extra_modules`, e.g. test operations)."""
    import explorer.host.ops as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    for name in extra_modules:
        importlib.import_module(name)
    return OPERATIONS


class UnknownOperation(LookupError):
    """The GUI asked for an operation the host does not have."""


def find(name: str) -> Callable[..., Any]:
    try:
        return OPERATIONS[name]
    except KeyError:
        raise UnknownOperation(f"the model process has no operation {name!r}") from None
