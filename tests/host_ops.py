"""Operations the model-host tests load into the host (LLM_EXPLORER_HOST_EXTRA_OPS=tests.host_ops).

They misbehave on purpose: abort the process, spin without checking for cancel, write to stderr.
"""
from __future__ import annotations

import os
import sys
import time

from explorer.host.operations import operation


@operation("test.echo")
def echo(ctx, value):
    return value


@operation("test.array")
def array(ctx, n: int):
    import numpy as np

    return {"values": np.arange(n, dtype=np.float32), "n": n}


@operation("test.steps")
def steps(ctx, n: int, seconds: float = 0.0):
    for i in range(n):
        ctx.check()
        ctx.report(i / n, f"step {i}")
        ctx.partial(i)
        time.sleep(seconds)
    return n


@operation("test.spin")
def spin(ctx):
    ctx.partial("spinning")
    while True:  # never calls ctx.check()
        pass


@operation("test.abort")
def abort(ctx):
    os.abort()


@operation("test.fail")
def fail(ctx, message: str):
    raise ValueError(message)


@operation("test.stderr")
def stderr(ctx, text: str):
    print(text, file=sys.stderr, flush=True)
    return os.getpid()


@operation("test.keep")
def keep(ctx, key: str, value):
    ctx.state[key] = value
    return sorted(ctx.state)


@operation("test.big_partials")
def big_partials(ctx, n: int, size: int):
    import numpy as np

    for i in range(n):  # each over the shared-memory threshold
        ctx.partial(np.full(size, i, dtype=np.float32))
    return np.full(size, n, dtype=np.float32)


@operation("test.threaded_partials")
def threaded_partials(ctx, n: int):
    """Partial results of different sizes sent from several threads at once (like tokenizer rows)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    def send(i: int) -> None:
        ctx.partial((i, np.full(100_000 + 50_000 * i, i, dtype=np.float32)))  # 400 KB and up: shared memory

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(send, range(n)))
    return n
