"""The GUI thread keeps ticking while the worker loads and runs a real model.

A generous bound so that a model run that slips onto the GUI thread can never
pass: a 512-token SmolLM2 forward takes several seconds on a 2-core CPU. The
budget in `make bench` is 50 ms; the longest hold left is the `tokenizers`
library building SmolLM2's 49k-merge BPE in one Rust call (0.15-0.35 s here,
it never releases the GIL), hence 500 ms here.
"""
from benchmarks.probes import longest_gui_gap, smollm2_512_token_job


def test_gui_thread_never_stalls_while_smollm2_loads_and_runs(qapp, engine):
    gap, ticks = longest_gui_gap(qapp, engine, smollm2_512_token_job)
    assert ticks > 10
    assert gap < 0.5, f"GUI thread stalled for {gap * 1000:.0f} ms"


def test_the_probe_catches_work_on_the_gui_thread(qapp, engine):
    import time

    # simulate a pane that runs a model on the GUI thread: the probe must see it
    from PySide6.QtCore import QTimer

    gap, _ = longest_gui_gap(qapp, engine, lambda ctx: time.sleep(2.5) or 1,
                             on_start=lambda: QTimer.singleShot(50, lambda: time.sleep(2.0)))
    assert gap >= 1.5
