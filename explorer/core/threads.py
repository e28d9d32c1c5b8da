"""How many CPU threads torch uses: `cpu_threads()` suggests a count, `with torch_threads(n):` applies it to one block.

Nothing here changes the count for good: a caller asks for a count around the work it runs, and the count it
found is put back when the block ends (also on an exception or a cancel).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def cpu_threads() -> int:
    """Threads for training: every core, minus those other programs keep busy.

    OpenMP threads that wait for a busy core stall each other at every layer,
    so on a loaded machine fewer threads train faster than more.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return cores
    return max(1, min(cores, int(cores - busy + 0.5)))


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with `n` (at least 1) torch CPU threads, then restore the count there was before.

    Why callers ask: a tiny model (the mini-CLIP's text encoder takes well under a millisecond on one thread)
    can wait a hundred milliseconds per call for a second OpenMP thread on a busy machine, while training
    wants every free core. torch's setting applies to the calling thread and to threads started after it,
    so it is never left changed.
    """
    import torch

    n = max(1, int(n))
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
