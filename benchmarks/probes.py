"""Measurement helpers shared by benchmarks and the tests' generous bounds."""
from __future__ import annotations

import time


def smollm2_512_token_job(ctx):
    """Load SmolLM2 into a fresh store and run 512 tokens with attentions: a realistic heavy job."""
    import torch

    from explorer.models.store import ModelStore

    store = ModelStore()
    loaded = store.get("smollm2", "causal-lm", ctx)
    ids = torch.randint(100, 40000, (1, 512), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        out = loaded.model(input_ids=ids.to(loaded.device), output_attentions=True)
    return len(out.attentions)


def longest_gui_gap(qapp, engine, job, timeout_s: float = 600.0, on_start=None) -> tuple[float, int]:
    """Run `job` on the engine while a 10 ms QTimer ticks on the GUI thread.

    `on_start` (optional) runs on the GUI thread once the ticking has begun.

    Returns (longest interval between ticks in seconds, number of ticks).
    """
    from PySide6.QtCore import QTimer

    # The worker imports torch once when it starts (right after the window's
    # first paint); that one-off import is not part of running a model.
    warmed: list[object] = []
    engine.submit(lambda ctx: __import__("torch").__version__, owner="probe.warm-up", on_result=warmed.append)
    warm_deadline = time.monotonic() + timeout_s
    while not warmed and time.monotonic() < warm_deadline:
        qapp.processEvents()
        time.sleep(0.005)

    # In a test run the earlier tests' windows are garbage awaiting a collection;
    # destroying them is not part of loading a model, so start from a collected heap.
    import gc

    gc.collect()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done: list[object] = []
    errors: list[str] = []
    timer.start()
    if on_start is not None:
        on_start()
    engine.submit(job, owner="probe", on_result=done.append, on_error=errors.append)
    deadline = time.monotonic() + timeout_s
    while not done and not errors and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.001)
    timer.stop()
    if errors:
        raise RuntimeError(errors[0])
    if not done:
        raise TimeoutError("the job did not finish")
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return (max(gaps) if gaps else float("inf")), len(ticks)


def tokenizer_lab(size: tuple[int, int], host=None):
    """A shown, activated tokenizer lab on a real engine and model host.

    host: a `HostClient` to share (tests and benchmarks load tokenizers once in it); None: the engine
    starts its own. Rows load in the host (the real load -> host -> GUI path). Returns (engine, pane);
    the caller waits for the rows and shuts the engine down.
    """
    from explorer.engine import Engine
    from explorer.ui.panes.tokenizer_lab import TokenizerLabPane

    engine = Engine(host=host)
    pane = TokenizerLabPane(engine)
    pane.resize(*size)
    pane.show()
    pane.activated()
    return engine, pane
