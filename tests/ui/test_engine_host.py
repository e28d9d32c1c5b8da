"""The engine with its model host (real processes): results, crashes, cancel and close, seen from the GUI."""
from __future__ import annotations

import os
import signal

import pytest


@pytest.fixture
def host_engine(qtbot, monkeypatch, tmp_path):
    from explorer.engine import Engine

    monkeypatch.setenv("LLM_EXPLORER_HOST_EXTRA_OPS", "tests.host_ops")
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path))
    engine = Engine()
    yield engine
    assert engine.shutdown(3000)


def _run(qtbot, engine, op, arguments=None, owner="t"):
    outcome = {}
    with qtbot.waitSignal(engine.job_finished, timeout=60_000):
        engine.run(op, arguments or {}, owner=owner, on_result=lambda r: outcome.update(result=r),
                   on_error=lambda m: outcome.update(error=m))
    return outcome


def test_an_operation_result_arrives_on_the_gui_thread(qtbot, host_engine):
    assert _run(qtbot, host_engine, "test.echo", {"value": [1, "two"]}) == {"result": [1, "two"]}


def test_an_abort_in_the_host_leaves_the_window_alive_says_so_and_the_next_job_works(qtbot, host_engine):
    notices = []
    host_engine.notice.connect(notices.append)
    outcome = _run(qtbot, host_engine, "test.abort")
    assert "SIGABRT" in outcome["error"] and "\n" not in outcome["error"]
    qtbot.waitUntil(lambda: any("restarting" in n for n in notices), timeout=10_000)
    assert _run(qtbot, host_engine, "test.echo", {"value": "after"}) == {"result": "after"}


def test_a_host_killed_while_idle_does_not_break_the_next_job(qtbot, host_engine):
    pid = _run(qtbot, host_engine, "test.stderr", {"text": "x"})["result"]
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: host_engine._worker.host.pid not in (None, pid), timeout=20_000)  # noqa: SLF001
    assert _run(qtbot, host_engine, "test.echo", {"value": 3}) == {"result": 3}


def test_cancel_ends_a_job_that_ignores_it_and_the_status_bar_hears_of_the_restart(qtbot, host_engine):
    notices, results = [], []
    host_engine.notice.connect(notices.append)
    _run(qtbot, host_engine, "test.echo", {"value": "warm"})
    spinning = []
    host_engine.run("test.spin", owner="spin", on_result=results.append, on_partial=spinning.append)
    qtbot.waitUntil(lambda: spinning == ["spinning"], timeout=10_000)
    host_engine.cancel("spin")
    qtbot.waitUntil(host_engine.is_idle, timeout=10_000)
    assert _run(qtbot, host_engine, "test.echo", {"value": "served"}) == {"result": "served"}
    assert results == []  # a cancelled job never delivers
    assert any("did not stop" in n for n in notices), notices


def test_a_newer_request_supersedes_a_running_host_job(qtbot, host_engine):
    results = []
    host_engine.run("test.steps", {"n": 1000, "seconds": 0.01}, owner="pane", on_result=results.append)
    host_engine.run("test.echo", {"value": "new"}, owner="pane", on_result=results.append)
    qtbot.waitUntil(host_engine.is_idle, timeout=30_000)
    assert results == ["new"]


def test_a_failing_operation_reaches_on_error_as_one_line(qtbot, host_engine):
    assert _run(qtbot, host_engine, "test.fail", {"message": "no such word"}) == {"error": "no such word"}
