"""The model host process: results, shared memory, cancel, crashes and shutdown (no Qt, real processes)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from explorer.core.progress import Cancelled
from explorer.host.client import MAX_CRASHES_IN_A_ROW, HostClient, HostCrashed, HostUnavailable

EXTRA = ("tests.host_ops",)


def _segments() -> set[str]:
    shm = Path("/dev/shm")
    return {p.name for p in shm.iterdir() if p.name.startswith("psm_")} if shm.is_dir() else set()  # ours only


@pytest.fixture
def events():
    return []


@pytest.fixture
def host(tmp_path, events):
    client = HostClient(on_event=lambda kind, text: events.append((kind, text)), log_path=tmp_path / "host.log",
                        extra_operations=EXTRA)
    before = _segments()
    yield client
    client.shutdown()
    assert _segments() <= before, "shared-memory segments left behind"


def _wait_for(predicate, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_operation_returns_plain_data(host):
    assert host.call("test.echo", {"value": {"ids": [1, 2], "text": "héllo 🐈"}}) == {"ids": [1, 2], "text": "héllo 🐈"}


def test_big_arrays_cross_in_shared_memory_and_every_segment_is_freed(host):
    before = _segments()
    result = host.call("test.array", {"n": 1_000_000})  # 4 MB: over the shared-memory threshold
    np.testing.assert_array_equal(result["values"], np.arange(1_000_000, dtype=np.float32))
    assert result["n"] == 1_000_000
    assert _segments() <= before


def test_progress_and_partial_results_reach_the_caller(host):
    progress, partial = [], []
    assert host.call("test.steps", {"n": 5}, on_progress=lambda f, m: progress.append(m),
                     on_partial=partial.append) == 5
    assert partial == [0, 1, 2, 3, 4]
    assert progress and progress[0] == "step 0"


def test_a_failing_operation_gives_its_one_line_message_and_the_host_lives_on(host):
    pid = host.call("test.stderr", {"text": "x"})
    with pytest.raises(RuntimeError, match="^bad input$"):
        host.call("test.fail", {"message": "bad input\nsecond line"})
    assert host.call("test.stderr", {"text": "y"}) == pid


def test_an_unknown_operation_is_a_clear_error(host):
    with pytest.raises(RuntimeError, match="no operation 'nope.nothing'"):
        host.call("nope.nothing")


def test_state_lives_in_the_host_between_jobs(host):
    host.call("test.keep", {"key": "a", "value": 1})
    assert host.call("test.keep", {"key": "b", "value": 2}) == ["a", "b"]


def test_cancel_stops_a_cooperative_job_without_restarting_the_host(host):
    pid = host.call("test.stderr", {"text": "x"})
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    with pytest.raises(Cancelled):
        host.call("test.steps", {"n": 10_000, "seconds": 0.01}, cancelled=flag.is_set)
    assert host.call("test.stderr", {"text": "y"}) == pid


def test_cancel_ends_a_job_that_never_checks_by_restarting_the_host(host, events):
    pid = host.call("test.stderr", {"text": "x"})
    flag = threading.Event()
    started = time.monotonic()
    with pytest.raises(Cancelled):  # cancelled once the host is inside the loop
        host.call("test.spin", cancelled=flag.is_set, on_partial=lambda _: threading.Timer(0.3, flag.set).start())
    assert host.call("test.echo", {"value": "served"}) == "served"
    print(f"cancel of a spinning job to the next result: {time.monotonic() - started - 0.3:.2f} s")
    assert host.pid != pid
    assert any(kind == "restarted" and "did not stop" in text for kind, text in events)


def test_an_abort_inside_a_job_fails_that_job_and_the_next_one_works(host, events):
    with pytest.raises(HostCrashed, match="SIGABRT"):
        host.call("test.abort")
    assert host.call("test.echo", {"value": 7}) == 7
    assert any(kind == "crashed" and "restarting" in text for kind, text in events)


def test_a_host_killed_while_idle_is_replaced_for_the_next_job(host):
    pid = host.call("test.stderr", {"text": "x"})
    os.kill(pid, signal.SIGKILL)
    _wait_for(lambda: host.pid not in (None, pid))
    assert host.call("test.echo", {"value": "again"}) == "again"


def test_after_crashes_in_a_row_the_host_is_not_restarted_and_says_so(host, events):
    for _ in range(MAX_CRASHES_IN_A_ROW):
        with pytest.raises(HostCrashed):
            host.call("test.abort")
    with pytest.raises(HostUnavailable, match="times in a row"):
        host.call("test.echo", {"value": 1})
    assert any(kind == "crashed" and "not restarted" in text for kind, text in events)


def test_the_hosts_stderr_and_crash_traceback_go_to_the_log_file(host, tmp_path):
    host.call("test.stderr", {"text": "a line for the log"})
    with pytest.raises(HostCrashed):
        host.call("test.abort")
    log = (tmp_path / "host.log").read_text(encoding="utf-8", errors="replace")
    assert "a line for the log" in log
    assert "Fatal Python error: Aborted" in log  # faulthandler's traceback of the crash


def test_shutdown_leaves_no_process_and_no_zombie(host):
    pid = host.call("test.stderr", {"text": "x"})
    host.shutdown()
    assert host.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: not even a zombie


CHILD = """
import sys, threading
from explorer.host.client import HostClient
client = HostClient(extra_operations=("tests.host_ops",))
client.call("host.set_device", {"preference": "cpu"})  # the host imports torch for this
print("torch" in sys.modules, "transformers" in sys.modules, "tokenizers" in sys.modules, flush=True)
client.shutdown()
"""


def test_the_calling_process_never_imports_torch(tmp_path):
    env = dict(os.environ, LLM_EXPLORER_CACHE=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parent.parent, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "False", "False"]


ORPHAN = """
import sys
from explorer.host.client import HostClient
client = HostClient(extra_operations=("tests.host_ops",))
print(client.call("test.stderr", {"text": "x"}), flush=True)
import os; os._exit(0)  # the GUI dies without a word
"""


def test_the_host_exits_when_the_gui_process_is_gone(tmp_path):
    env = dict(os.environ, LLM_EXPLORER_CACHE=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parent.parent, env=env)
    pid = int(result.stdout.split()[0])

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        status = Path(f"/proc/{pid}/status")
        return status.exists() and "zombie" in status.read_text()

    _wait_for(gone, timeout_s=10)


def test_partial_results_with_big_arrays_each_free_their_own_segment(host):
    before = _segments()
    seen = []
    result = host.call("test.big_partials", {"n": 4, "size": 200_000}, on_partial=lambda a: seen.append(float(a[-1])))
    assert seen == [0.0, 1.0, 2.0, 3.0] and float(result[-1]) == 4.0
    assert _segments() <= before


def test_partial_results_sent_from_several_threads_each_get_their_own_segment(host):
    before = _segments()
    seen = {}
    n = host.call("test.threaded_partials", {"n": 6}, on_partial=lambda pair: seen.setdefault(pair[0], pair[1]))
    assert n == 6 and sorted(seen) == list(range(6))
    for i, values in seen.items():  # each array whole: its own size and its own numbers
        assert values.shape == (100_000 + 50_000 * i,) and float(values.min()) == float(values.max()) == i
    assert _segments() <= before
