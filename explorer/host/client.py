"""The GUI side's handle on the model host: start it, call operations, cancel, survive its crashes.

Qt-free: the engine's worker thread calls `HostClient.call()` (which blocks
that thread, never the GUI's) and a reader thread here takes the host's
events. Signals for the status bar go through `on_event(kind, text)`.

- Cancel: the call sends "cancel" and waits `CANCEL_GRACE_S` for the job to
  stop at its next check; then the host is terminated and started again, and
  `on_event("restarted", ...)` says so. Models reload lazily on the next job.
- Crash (segfault, abort, out-of-memory kill): the job in flight fails with a
  one-line `HostCrashed`; the host is started again for the next job, after a
  short back-off, and not again after `MAX_CRASHES_IN_A_ROW` crashes in a row.
- Shared memory: this side creates every segment and unlinks it once the
  array is copied out, or when the job ends in any way (see shared_arrays.py).
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from explorer.core.progress import Cancelled
from explorer.host import shared_arrays

CANCEL_GRACE_S = 2.0
MAX_CRASHES_IN_A_ROW = 3
BACKOFF_S = (0.0, 0.5, 1.5)
STOP_GRACE_S = 1.0
POLL_S = 0.02

EventHandler = Callable[[str, str], None]


class HostCrashed(RuntimeError):
    """The model process stopped while running a job (the message is for the user)."""


class HostUnavailable(RuntimeError):
    """The model process crashed too often in a row and is not started again."""


def spawn_context():
    """Always "spawn": a forked copy of a process with Qt (or CUDA) state can deadlock, and
    Python 3.14 changes the Linux default away from fork anyway."""
    return multiprocessing.get_context("spawn")


def default_log_path() -> Path | None:
    """The host's stderr goes here (the user cache), so a crash's traceback is not lost."""
    try:
        from explorer.models.paths import cache_dir

        folder = cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "model-host.log"
        if path.exists() and path.stat().st_size > 5 * 1024 * 1024:
            path.replace(folder / "model-host.old.log")
        return path
    except OSError:
        return None


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _Call:
    """One job in flight: its events, and the shared-memory segments made for it."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.segments: dict[str, Any] = {}


class HostClient:
    def __init__(self, on_event: EventHandler | None = None, log_path: Path | None = None,
                 extra_operations: tuple[str, ...] = ()) -> None:
        self._on_event = on_event or (lambda kind, text: None)
        self._log_path = log_path
        self._extra = tuple(extra_operations) + tuple(
            name for name in os.environ.get("LLM_EXPLORER_HOST_EXTRA_OPS", "").split(",") if name)
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # process, pipes and the table of calls
        self._send_lock = threading.Lock()
        self._calls: dict[int, _Call] = {}
        self._process = None
        self._requests = None
        self._reader: threading.Thread | None = None
        self._crashes_in_a_row = 0
        self._given_up = False
        self._closed = False
        self.device_label = "starting…"

    def listen(self, on_event: EventHandler) -> None:
        """Send the host's device, crash and restart events to `on_event` from now on."""
        self._on_event = on_event

    # --- lifetime ---
    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def start(self) -> None:
        """Start the host now (it also starts on the first call)."""
        with self._lock:
            if self._closed:
                raise HostUnavailable("the model process has been shut down")
            if self._given_up:
                raise HostUnavailable(
                    f"The model process crashed {MAX_CRASHES_IN_A_ROW} times in a row and is not restarted "
                    "again. Save your session and restart LLM Explorer (the log is in the cache's logs folder).")
            if self._process is not None and self._process.is_alive():
                return
            self._spawn()

    def _spawn(self) -> None:
        from explorer.host.server import serve

        context = spawn_context()
        host_requests, self._requests = context.Pipe(duplex=False)
        events, host_events = context.Pipe(duplex=False)
        log = self._log_path if self._log_path is not None else default_log_path()
        process = context.Process(target=serve, name="llm-explorer-model-host", daemon=True,
                                  args=(host_requests, host_events, str(log) if log else None, self._extra))
        process.start()
        # our copies of the child's ends: closed, so the child's exit reads as EOF here
        host_requests.close()
        host_events.close()
        self._process = process
        self._reader = threading.Thread(target=self._read_events, args=(process, events), daemon=True,
                                        name="model-host-events")
        self._reader.start()

    def shutdown(self, timeout_s: float = STOP_GRACE_S) -> None:
        """Stop the host (asking first, then terminating) and free every shared-memory segment."""
        with self._lock:
            self._closed = True
            process = self._process
        self._stop_process(process, timeout_s)
        self._fail_all("The model process was shut down.")

    def _stop_process(self, process, timeout_s: float) -> None:
        if process is None:
            return
        try:
            self._send(("stop",))
        except (HostCrashed, OSError, ValueError):
            pass
        process.join(timeout_s)
        if process.is_alive():
            process.terminate()
            process.join(0.5)
        if process.is_alive():
            process.kill()
            process.join(0.5)
        with self._lock:
            if self._requests is not None and self._process is process:
                self._requests.close()
                self._requests = None

    def kill_and_restart(self, why: str) -> None:
        """End the host at once (a job ignored its cancel) and start a fresh one for the next job."""
        with self._lock:
            process = self._process
            self._process = None
            requests, self._requests = self._requests, None
        if process is not None:
            process.kill()
            process.join(1.0)
        if requests is not None:
            requests.close()
        self._fail_all(why)
        self._on_event("restarted", why)
        with self._lock:
            if not self._closed:
                self._spawn()

    # --- calls (from the engine's worker thread) ---
    def call(self, name: str, arguments: dict | None = None, *,
             cancelled: Callable[[], bool] = lambda: False,
             on_progress: Callable[[float | None, str], None] | None = None,
             on_partial: Callable[[object], None] | None = None) -> Any:
        """Run operation `name` in the host and return its result; blocks the calling (worker) thread.

        Raises Cancelled when `cancelled()` turns true (at once for the caller; the host is
        restarted if the job does not stop within CANCEL_GRACE_S), HostCrashed when the host dies,
        and RuntimeError with the host's one-line message when the operation fails.
        """
        self.start()
        job = next(self._ids)
        call = _Call()
        with self._lock:
            self._calls[job] = call
        try:
            self._send(("run", job, name, dict(arguments or {})))
            cancel_sent_at: float | None = None
            while True:
                # checked on every turn: a job that streams progress keeps the queue from ever being empty
                if cancel_sent_at is None and cancelled():
                    cancel_sent_at = time.monotonic()
                    self._send(("cancel", job))
                elif cancel_sent_at is not None and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S:
                    self.kill_and_restart(f"The model process did not stop within {CANCEL_GRACE_S:.0f} s "
                                          "of Cancel: it was restarted (models reload on the next job).")
                    raise Cancelled() from None
                try:
                    event = call.events.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                kind = event[0]
                if kind == "progress" and on_progress is not None and cancel_sent_at is None:
                    on_progress(event[1], event[2])
                elif kind == "partial":
                    value = self._take(call, event[1])
                    if on_partial is not None and cancel_sent_at is None:
                        on_partial(value)
                elif kind == "done":
                    ok, value = event[1], event[2]
                    if ok:
                        self._crashes_in_a_row = 0
                        return self._take(call, value)
                    if value == "cancelled" or cancel_sent_at is not None:
                        raise Cancelled()
                    raise RuntimeError(value)
                elif kind == "died":
                    raise HostCrashed(event[1])
        finally:
            with self._lock:
                self._calls.pop(job, None)
            self._release(call)

    def _take(self, call: _Call, value: object) -> object:
        """Copy arrays out of their segments and free those segments (not the ones the host has
        already asked for its next partial result)."""
        used: set[str] = set()
        try:
            return shared_arrays.unpack(value, call.segments, used)
        finally:
            for name in used:
                segment = call.segments.pop(name, None)
                if segment is not None:
                    shared_arrays.release_segment(segment)

    @staticmethod
    def _release(call: _Call) -> None:
        for segment in call.segments.values():
            shared_arrays.release_segment(segment)
        call.segments.clear()

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            requests = self._requests
            if requests is None:
                raise HostCrashed("The model process is not running.")
            requests.send(message)

    # --- the reader thread ---
    def _read_events(self, process, events) -> None:
        try:
            while True:
                event = events.recv()
                self._dispatch(event)
        except (EOFError, OSError):
            pass
        finally:
            events.close()
        process.join(2.0)
        with self._lock:
            current = self._process is process
            if current:
                self._process = None
                if self._requests is not None:
                    self._requests.close()
                    self._requests = None
            closing = self._closed
        if not current or closing:
            return  # a stop we asked for, or a kill we already reported
        reason = f"The model process {_exit_reason(process.exitcode)}"
        self._crashes_in_a_row += 1
        if self._crashes_in_a_row >= MAX_CRASHES_IN_A_ROW:
            self._given_up = True
            self._fail_all(reason + f"; it crashed {self._crashes_in_a_row} times in a row and is not restarted.")
            self._on_event("crashed", reason + f" ({self._crashes_in_a_row} times in a row): not restarted. "
                           "Save your session and restart LLM Explorer.")
            return
        self._fail_all(reason + " while running this job; it is restarting.")
        self._on_event("crashed", reason + ": restarting it (models reload on the next job).")
        time.sleep(BACKOFF_S[min(self._crashes_in_a_row, len(BACKOFF_S) - 1)])
        with self._lock:
            if not self._closed and self._process is None:
                self._spawn()

    def _dispatch(self, event: tuple) -> None:
        kind = event[0]
        if kind == "device":
            self.device_label = event[1]
            self._on_event("device", event[1])
            return
        if kind == "notice":
            self._on_event("notice", event[1])
            return
        with self._lock:
            call = self._calls.get(event[1])
        if kind == "need_segment":
            segment = shared_arrays.create_segment(event[3]) if call is not None else None
            if segment is not None:
                call.segments[segment.name] = segment
            try:
                self._send(("segment", event[1], event[2], segment.name if segment is not None else None))
            except (HostCrashed, OSError):
                pass
            return
        if call is not None and kind != "started":
            call.events.put((kind,) + tuple(event[2:]))  # the job id is the call's own

    def _fail_all(self, reason: str) -> None:
        with self._lock:
            calls = list(self._calls.values())
        for call in calls:
            call.events.put(("died", reason))
