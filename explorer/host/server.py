"""The model host's main loop (runs in the spawned child process).

Two pipes: `requests` (GUI -> host) and `events` (host -> GUI). Messages are
tuples whose first item names them:

  requests: ("run", job, op, arguments) · ("cancel", job) · ("segment", job, request, name | None) · ("stop",)
  events:   ("device", label) · ("notice", text) · ("started", job) · ("progress", job, fraction, message)
            · ("partial", job, value) · ("need_segment", job, request, nbytes) · ("done", job, ok, value | message)

The main thread runs one job at a time; a reader thread takes requests so that
a cancel reaches a running job at once (its next `ctx.check()` raises). When
the GUI goes away (its end of a pipe closes) the host stops; a job that never
checks for cancellation cannot keep it alive for more than a moment.
"""
from __future__ import annotations

import faulthandler
import itertools
import os
import queue
import sys
import threading
import time
import traceback
from typing import Any

from explorer.core.progress import Cancelled, ReportThrottle
from explorer.host import operations, shared_arrays

PROGRESS_INTERVAL_S = 0.05
ORPHAN_GRACE_S = 1.0  # after the GUI is gone, how long a running job may take to notice


class HostContext:
    """What an operation sees: models, device, progress, partial results, cancellation, lasting state."""

    def __init__(self, host: "Host", job: int) -> None:
        self._host = host
        self.job = job
        self._throttle = ReportThrottle(PROGRESS_INTERVAL_S)
        self.cancel_event = threading.Event()

    @property
    def models(self):
        return self._host.store

    @property
    def device(self):
        return self._host.store.device

    @property
    def state(self) -> dict[str, Any]:
        return self._host.state

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set() or self._host.stopping.is_set()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def report(self, fraction: float | None, message: str = "") -> None:
        if self._throttle.due(fraction):
            self._host.send(("progress", self.job, fraction, message))

    def partial(self, value: object) -> None:
        self._host.send(("partial", self.job, self._host.pack(self.job, value)))


class Host:
    def __init__(self, requests, events) -> None:
        self._requests = requests
        self._events = events
        self._send_lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        # replies to ("need_segment", job, request, nbytes), by (job, request)
        self._segments: dict[tuple[int, int], queue.Queue] = {}
        self._segments_lock = threading.Lock()
        self._segment_requests = itertools.count()
        self.current: HostContext | None = None
        self._cancelled_early: set[int] = set()
        self.stopping = threading.Event()
        self.state: dict[str, Any] = {}
        self._store = None
        self._store_lock = threading.Lock()

    @property
    def store(self):
        with self._store_lock:  # the warm-up thread and the first job may both ask
            if self._store is None:
                from explorer.models.store import ModelStore

                self._store = ModelStore()
        return self._store

    # --- pipes ---
    def send(self, message: tuple) -> None:
        with self._send_lock:
            self._events.send(message)

    def _read_requests(self) -> None:
        try:
            while True:
                message = self._requests.recv()
                kind = message[0]
                if kind == "run":
                    self._jobs.put(message[1:])
                elif kind == "cancel":
                    current = self.current
                    if current is not None and current.job == message[1]:
                        current.cancel_event.set()
                    else:
                        self._cancelled_early.add(message[1])
                elif kind == "segment":
                    self._segment_reply(message[1], message[2]).put(message[3])
                elif kind == "stop":
                    break
        except (EOFError, OSError):
            pass  # the GUI is gone
        self.stopping.set()
        self._jobs.put(None)
        # a job that ignores cancellation must not outlive the window
        threading.Timer(ORPHAN_GRACE_S, os._exit, args=(0,)).start()

    def _segment_reply(self, job: int, request: int) -> queue.Queue:
        with self._segments_lock:
            return self._segments.setdefault((job, request), queue.Queue())

    def pack(self, job: int, value: object) -> object:
        def request_segment(nbytes: int) -> str | None:
            # each request has its own number: partial results sent from several threads of one job
            # must each get the segment made for their own size
            request = next(self._segment_requests)
            replies = self._segment_reply(job, request)
            self.send(("need_segment", job, request, nbytes))
            while not self.stopping.is_set():
                try:
                    return replies.get(timeout=0.2)
                except queue.Empty:
                    continue
            raise Cancelled()

        return shared_arrays.pack(value, request_segment)

    # --- jobs ---
    def run(self) -> None:
        threading.Thread(target=self._read_requests, name="host-requests", daemon=True).start()
        warmed = False
        while True:
            try:
                # the first idle moment imports torch and transformers (on this thread: transformers' lazy
                # modules are not safe to import from two threads at once); a job waiting goes first
                item = self._jobs.get(timeout=None if warmed else 0.05)
            except queue.Empty:
                self._announce_device()
                warmed = True
                continue
            if item is None or self.stopping.is_set():
                return
            job, name, arguments = item
            if job in self._cancelled_early:
                self._cancelled_early.discard(job)
                self.send(("done", job, False, "cancelled"))
                continue
            ctx = HostContext(self, job)
            self.current = ctx
            self.send(("started", job))
            ok, value = self._execute(ctx, name, arguments)
            self.current = None
            with self._segments_lock:
                for key in [key for key in self._segments if key[0] == job]:
                    del self._segments[key]
            if not self.stopping.is_set():
                self.send(("done", job, ok, value))

    def _execute(self, ctx: HostContext, name: str, arguments: dict) -> tuple[bool, object]:
        try:
            fn = operations.find(name)
            return True, self.pack(ctx.job, fn(ctx, **arguments))
        except Cancelled:
            return False, "cancelled"
        except Exception as exc:  # noqa: BLE001 - every failure becomes a one-line message
            if self._rerun_on_cpu(exc):
                self.send(("notice", "The GPU ran out of memory: this job was rerun on the CPU, which stays in use."))
                try:
                    return True, self.pack(ctx.job, operations.find(name)(ctx, **arguments))
                except Cancelled:
                    return False, "cancelled"
                except Exception as again:  # noqa: BLE001
                    return False, describe(again)
            return False, describe(exc)

    def _rerun_on_cpu(self, exc: BaseException) -> bool:
        try:
            from explorer.models import device as devices

            if self.store.device.type == "cpu" or not devices.is_out_of_memory(exc):
                return False
            self.store.fall_back_to_cpu()
            self.send(("device", devices.label(self.store.device) + " (GPU out of memory)"))
            return True
        except Exception:  # noqa: BLE001
            return False

    def _announce_device(self) -> None:
        """Import torch, pick the device and say which; then pre-import what loading models needs."""
        try:
            from explorer.models import device as devices

            self.send(("device", devices.label(self.store.device)))
            self.store.warm_up()
        except Exception as exc:  # noqa: BLE001 - torch missing or broken: say so, keep serving
            self.send(("device", f"no torch ({exc.__class__.__name__})"))


def describe(exc: BaseException) -> str:
    """One line for the user; the whole traceback goes to the host's log (its stderr)."""
    traceback.print_exception(exc)
    text = str(exc).strip() or exc.__class__.__name__
    line = text.splitlines()[0]
    return line if len(line) <= 400 else line[:400] + "…"


def _log_to(path: str | None) -> None:
    """Send this process's stderr (Python's and C libraries') to the log file, with crash tracebacks."""
    if path:
        try:
            log = open(path, "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115 - lives as long as the process
            os.dup2(log.fileno(), 2)
            sys.stderr = log
            print(f"--- model host {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}", file=log)
        except OSError:
            pass
    faulthandler.enable(sys.stderr)


def serve(requests, events, log_path: str | None = None, extra_operations: tuple[str, ...] = ()) -> None:
    """Entry point of the host process (the target given to multiprocessing)."""
    _log_to(log_path)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    operations.load(extra_operations)
    Host(requests, events).run()
    sys.stderr.flush()
