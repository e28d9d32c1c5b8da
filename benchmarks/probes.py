"""Measurement helpers shared by benchmarks and the tests' generous bounds."""
from __future__ import annotations

import time

from benchmarks.passage import PASSAGE_512


def smollm2_512_token_job(ctx):
    """Have the model host load SmolLM2 (if it has not yet) and run 512 tokens with attentions."""
    return ctx.call("attention.run", model_id="smollm2", ids=list(range(100, 612)), run="probe").result.num_tokens


def attention_pane_512_tokens(qapp, engine, timeout_s: float = 600.0) -> tuple[float, int]:
    """The longest GUI-thread gap while the host loads SmolLM2 (when it has not yet) and runs 512 tokens,
    and the attention pane paints its head grid and one head's map. Returns (gap in s, ticks)."""
    from explorer.ui.attention.pane import AttentionPane

    pane = AttentionPane(engine)
    pane.resize(1400, 900)
    pane.show()
    pane.set_model_id("smollm2")
    pane.set_text(PASSAGE_512)
    painted: list[bool] = []

    def start() -> None:
        pane.recompute()

    def finished() -> bool:
        if pane.analysis is None or pane.is_busy():
            return False
        if not painted:  # what a user sees: the grid and the selected head's map, painted
            pane.heads_view.grid.plot_widget.viewport().repaint()
            pane.heads_view.heatmap.plot_widget.viewport().repaint()
            painted.append(True)
        return True

    try:
        return longest_gui_gap(qapp, engine, None, timeout_s, on_start=start, finished=finished)
    finally:
        pane.close()


def longest_gui_gap(qapp, engine, job, timeout_s: float = 600.0, on_start=None, finished=None) -> tuple[float, int]:
    """Run `job` on the engine while a 10 ms QTimer ticks on the GUI thread.

    `on_start` (optional) runs on the GUI thread once the ticking has begun. With `job` None,
    `finished()` (called on the GUI thread) says when the work `on_start` began is done.

    Returns (longest interval between ticks in seconds, number of ticks).
    """
    from PySide6.QtCore import QTimer

    # The model host imports torch once when it starts (right after the window's
    # first paint); that one-off start is not part of running a model.
    warmed: list[object] = []
    engine.run("host.set_device", {"preference": "auto"}, owner="probe.warm-up", on_result=warmed.append)
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
    if job is not None:
        engine.submit(job, owner="probe", on_result=done.append, on_error=errors.append)
    deadline = time.monotonic() + timeout_s
    while not done and not errors and time.monotonic() < deadline:
        if finished is not None and finished():
            done.append(True)
            break
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
    from explorer.ui.tokenizers.pane import TokenizerLabPane

    engine = Engine(host=host)
    pane = TokenizerLabPane(engine)
    pane.resize(*size)
    pane.show()
    pane.activated()
    return engine, pane
