"""The engine: jobs run on the worker, results come back on the GUI thread, stale ones are dropped."""
import threading
import time

import pytest

from explorer.core.progress import Cancelled


class FakeStore:
    device = None


@pytest.fixture
def fake_engine(qtbot):
    from explorer.engine import Engine

    eng = Engine(store_factory=FakeStore)
    yield eng
    assert eng.shutdown(3000)


def test_a_job_runs_off_the_gui_thread_and_its_result_arrives_on_it(qtbot, fake_engine):
    seen = {}

    def job(ctx):
        seen["job_thread"] = threading.get_ident()
        return 41 + 1

    with qtbot.waitSignal(fake_engine.job_finished, timeout=30_000):
        fake_engine.submit(job, owner="t", on_result=lambda r: seen.update(result=r, cb_thread=threading.get_ident()))
    assert seen["result"] == 42
    assert seen["cb_thread"] == threading.get_ident() != seen["job_thread"]


def test_a_newer_request_from_the_same_pane_supersedes_the_older(qtbot, fake_engine):
    results = []
    gate = threading.Event()

    def slow(ctx):
        gate.wait(5)
        for _ in range(100):
            ctx.check()
            time.sleep(0.001)
        return "old"

    fake_engine.submit(slow, owner="pane", on_result=results.append)
    fake_engine.submit(lambda ctx: "queued-and-dropped", owner="pane", on_result=results.append)
    fake_engine.submit(lambda ctx: "new", owner="pane", on_result=results.append)
    gate.set()
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    assert results == ["new"]


def test_other_owners_are_not_superseded(qtbot, fake_engine):
    results = []
    fake_engine.submit(lambda ctx: "a", owner="a", on_result=results.append)
    fake_engine.submit(lambda ctx: "b", owner="b", on_result=results.append)
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    assert sorted(results) == ["a", "b"]


def test_errors_become_a_message(qtbot, fake_engine):
    errors = []

    def broken(ctx):
        raise ValueError("the text is empty")

    with qtbot.waitSignal(fake_engine.job_failed, timeout=30_000) as blocker:
        fake_engine.submit(broken, owner="x", on_error=errors.append)
    assert errors == ["the text is empty"]
    assert blocker.args == ["x", "the text is empty"]


def test_cancel_stops_a_running_job_between_steps(qtbot, fake_engine):
    steps = []
    results = []

    def long_job(ctx):
        for i in range(10_000):
            ctx.check()
            steps.append(i)
            time.sleep(0.001)
        return "finished"

    fake_engine.submit(long_job, owner="long", on_result=results.append)
    qtbot.waitUntil(lambda: len(steps) > 5, timeout=30_000)
    fake_engine.cancel("long")
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    assert results == [] and len(steps) < 10_000


def test_progress_reaches_the_gui(qtbot, fake_engine):
    seen = []

    def job(ctx):
        ctx.report(0.5, "halfway")
        time.sleep(0.06)
        ctx.report(1.0, "done")
        return None

    fake_engine.submit(job, owner="p", on_progress=lambda f, m: seen.append((f, m)))
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    assert (0.5, "halfway") in seen and (1.0, "done") in seen


def test_shutdown_mid_job_is_prompt(qtbot):
    from explorer.engine import Engine

    eng = Engine(store_factory=FakeStore)
    started = threading.Event()

    def endless(ctx):
        started.set()
        while True:
            ctx.check()
            time.sleep(0.005)

    eng.submit(endless, owner="e")
    assert started.wait(5)
    t0 = time.monotonic()
    assert eng.shutdown(2000)
    assert time.monotonic() - t0 < 2.0


def test_a_gpu_out_of_memory_error_reruns_the_job_on_cpu(qtbot):
    import torch

    from explorer.engine import Engine

    class GpuStore:
        def __init__(self):
            self.device = torch.device("cuda")  # pretend; nothing runs on it

        def fall_back_to_cpu(self):
            self.device = torch.device("cpu")

    eng = Engine(store_factory=GpuStore)
    calls, results, notices = [], [], []
    eng.notice.connect(notices.append)

    def job(ctx):
        calls.append(ctx.device.type)
        if ctx.device.type == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "ran on cpu"

    try:
        eng.submit(job, owner="oom", on_result=results.append)
        qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    finally:
        assert eng.shutdown(3000)
    assert calls == ["cuda", "cpu"] and results == ["ran on cpu"]
    assert notices and "out of memory" in notices[0]
    assert "CPU" in eng.device_label


def test_cancelled_is_not_reported_as_an_error(qtbot, fake_engine):
    errors = []

    def job(ctx):
        raise Cancelled()

    fake_engine.submit(job, owner="c", on_error=errors.append)
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    assert errors == []


def test_nothing_of_a_cancelled_job_reaches_the_pane(qtbot, fake_engine):
    partials, results = [], []
    release = threading.Event()

    def job(ctx):
        ctx.partial("before cancel")
        release.wait(5)
        ctx.partial("after cancel")
        return "result"

    fake_engine.submit(job, owner="tsne", on_partial=partials.append, on_result=results.append)
    qtbot.waitUntil(lambda: partials == ["before cancel"], timeout=30_000)
    fake_engine.cancel("tsne")
    release.set()
    qtbot.waitUntil(fake_engine.is_idle, timeout=30_000)
    qtbot.wait(50)
    assert partials == ["before cancel"] and results == []
