"""The inference engine: a job queue served by one long-lived worker QThread.

GUI code calls `Engine.submit(fn, owner=..., on_result=...)`. `fn(ctx)` runs on
the worker with a `JobContext` (progress, cancellation, and `ctx.call(op, ...)`,
which runs a named operation in the model host process: see explorer/host/);
its return value comes back to `on_result` on the GUI thread. A newer job
from the same owner supersedes the older one: a pending one is dropped, a
running one is cancelled at its next `ctx.check()` (or, inside the host, at
the operation's next check, and the host is restarted if it does not stop
within 2 s), and either way its result is never delivered.

`Engine.run(op, arguments, ...)` is the short form of a job that is one host
operation. An engine made with a `store_factory` serves `ctx.models` from that
store in this process instead (tests with fake models).
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from explorer.core.progress import Cancelled, ReportThrottle

if TYPE_CHECKING:  # the client (multiprocessing, shared memory) is imported when the host starts, after the first paint
    from explorer.host.client import HostClient

PROGRESS_INTERVAL_S = 0.05
_LIVE_WORKERS: "weakref.WeakSet[_Worker]" = weakref.WeakSet()


def live_workers() -> list["_Worker"]:
    """Every worker thread object still alive (tests check none is left running)."""
    return list(_LIVE_WORKERS)


@dataclass
class _Job:
    id: int
    owner: str
    title: str
    fn: Callable[["JobContext"], Any]
    cancelled: threading.Event = field(default_factory=threading.Event)


class JobContext:
    """What a job sees on the worker thread: models, device, progress, cancel."""

    def __init__(self, worker: "_Worker", job: _Job) -> None:
        self._worker = worker
        self._job = job
        self._throttle = ReportThrottle(PROGRESS_INTERVAL_S)

    @property
    def models(self):
        return self._worker.local_store()

    @property
    def device(self):
        return self._worker.local_store().device

    @property
    def state(self) -> dict:
        return self._worker.local_state

    def call(self, operation: str, **arguments: Any) -> Any:
        """Run `operation` in the model host; progress and partial results flow to this job's pane.

        An engine made with a store_factory runs it here instead, on that store (this context is the
        operation's `ctx`): tests drive panes with models they built themselves.
        """
        if not self._worker.uses_host:
            from explorer.host import operations

            operations.load()
            return operations.find(operation)(self, **arguments)
        return self._worker.host_client().call(
            operation, arguments, cancelled=lambda: self.cancelled,
            on_progress=lambda fraction, message: self.report(fraction, message), on_partial=self.partial)

    @property
    def cancelled(self) -> bool:
        return self._job.cancelled.is_set() or self._worker.stopping.is_set()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def report(self, fraction: float | None, message: str = "") -> None:
        if self._throttle.due(fraction):
            self._worker.progress.emit(self._job.id, fraction, message)

    def partial(self, value: object) -> None:
        self._worker.partial.emit(self._job.id, value)


class _Worker(QThread):
    progress = Signal(int, object, str)
    partial = Signal(int, object)
    started_job = Signal(int, str)
    done = Signal(int, bool, object)  # job id, ok, result or error message
    device_ready = Signal(str)
    notice = Signal(str)

    def __init__(self, store_factory: Callable[[], Any] | None, hold_s: float = 0.0,
                 host: HostClient | None = None) -> None:
        super().__init__()
        # no factory: models live in the host; with one (tests, benchmarks) operations run here on its store
        self.uses_host = store_factory is None
        self._store_factory = store_factory or _default_store
        self.store = None
        self.local_state: dict = {}  # ctx.state of operations run in this process (engines with a store_factory)
        self.host: HostClient | None = host
        self._owns_host = host is None  # a host handed in (tests share one) outlives this engine
        if host is not None:
            host.listen(self._host_event)
        self._host_lock = threading.Lock()
        self.stopping = threading.Event()
        # Importing torch here would compete for the GIL with the GUI thread's
        # start-up; a window holds the worker until its first paint.
        self.go = threading.Event()
        if hold_s <= 0:
            self.go.set()
        self._hold_s = hold_s
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self.current: _Job | None = None

    # --- called from the GUI thread ---
    def enqueue(self, job: _Job) -> list[_Job]:
        """Queue `job`; return the jobs of the same owner it superseded."""
        with self._cond:
            dropped = [j for j in self._queue if j.owner == job.owner]
            self._queue = [j for j in self._queue if j.owner != job.owner]
            if self.current is not None and self.current.owner == job.owner:
                self.current.cancelled.set()
            self._queue.append(job)
            self._cond.notify()
        return dropped

    def cancel(self, owner: str | None) -> list[_Job]:
        with self._cond:
            dropped = [j for j in self._queue if owner is None or j.owner == owner]
            self._queue = [j for j in self._queue if j not in dropped]
            if self.current is not None and (owner is None or self.current.owner == owner):
                self.current.cancelled.set()
        return dropped

    def stop(self) -> None:
        with self._cond:
            self.stopping.set()
            self.go.set()
            if self.current is not None:
                self.current.cancelled.set()
            self._queue.clear()
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self.current is not None else 0)

    def host_client(self) -> HostClient:
        """The model host (started on first use; the app starts it right after the first paint)."""
        with self._host_lock:
            if self.host is None:
                from explorer.host.client import HostClient

                if self.stopping.is_set():
                    raise Cancelled()
                self.host = HostClient(on_event=self._host_event)
            return self.host

    def _host_event(self, kind: str, text: str) -> None:
        """From the host client's reader thread: Qt queues these signals to the GUI thread."""
        if kind == "device":
            self.device_ready.emit(text)
        else:  # "crashed", "restarted", "notice": the status bar says what happened
            self.notice.emit(text)

    def local_store(self):
        """A model store in this process, for engines made with a store_factory (tests, benchmarks)."""
        if self.store is None:
            with _imports_out_of_the_collectors_way():
                self.store = self._store_factory()
        return self.store

    def stop_host(self, timeout_s: float) -> None:
        with self._host_lock:
            host, self.host = self.host, None
        if host is not None and self._owns_host:
            host.shutdown(timeout_s)

    # --- the worker thread ---
    def run(self) -> None:  # noqa: D401 - QThread API
        self.go.wait(self._hold_s)
        if self.stopping.is_set():
            return
        if self.uses_host:
            try:  # start the host now: torch loads there while the user looks at the window
                host = self.host_client()
                host.start()
                if host.device_label != "starting…":  # a host that was already running said it before we listened
                    self.device_ready.emit(host.device_label)
            except Exception as exc:  # noqa: BLE001 - the first job says it again, with its own message
                self.notice.emit(f"The model process could not start: {exc}")
        else:
            self._announce_local_device()
        while True:
            with self._cond:
                while not self._queue and not self.stopping.is_set():
                    self._cond.wait()
                if self.stopping.is_set():
                    return
                job = self._queue.pop(0)
                self.current = job
            self.started_job.emit(job.id, job.title)
            ok, payload = self._execute(job)
            with self._cond:
                self.current = None
            self.done.emit(job.id, ok, payload)

    def _announce_local_device(self) -> None:
        with _imports_out_of_the_collectors_way():
            store = self.local_store()
            try:
                device = getattr(store, "device", None)  # resolving it imports torch, once, here
                if device is not None:
                    from explorer.models import device as devices

                    self.device_ready.emit(devices.label(device))
            except Exception as exc:  # noqa: BLE001 - torch missing or broken: say so, keep serving
                self.device_ready.emit(f"no torch ({exc.__class__.__name__})")
            warm_up = getattr(store, "warm_up", None)
            if warm_up is not None:
                try:
                    warm_up()
                except Exception:  # noqa: BLE001 - a failed pre-import shows up again, with a message, in the job
                    pass

    def _execute(self, job: _Job) -> tuple[bool, object]:
        ctx = JobContext(self, job)
        try:
            return True, job.fn(ctx)
        except Cancelled:
            return False, Cancelled()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            if self._rerun_on_cpu(exc):
                self.notice.emit("The GPU ran out of memory: this job was rerun on the CPU, which stays in use.")
                try:
                    return True, job.fn(ctx)
                except Cancelled:
                    return False, Cancelled()
                except Exception as exc2:  # noqa: BLE001
                    return False, _describe(exc2)
            return False, _describe(exc)

    def _rerun_on_cpu(self, exc: BaseException) -> bool:
        if self.store is None:
            return False  # models in the host: it reruns on the CPU itself
        try:
            from explorer.models import device as devices

            if self.store.device.type == "cpu" or not devices.is_out_of_memory(exc):
                return False
            self.store.fall_back_to_cpu()
            self.device_ready.emit(devices.label(self.store.device) + " (GPU out of memory)")
            return True
        except Exception:  # noqa: BLE001
            return False


_frozen_once = False


@contextlib.contextmanager
def _imports_out_of_the_collectors_way():
    """No garbage collection while torch and transformers are imported; then freeze what they left.

    Their imports leave ~500k objects that live as long as the process. Each full
    collection walks every tracked object with the GIL held: during the import
    that is 30-380 ms a time, six or seven times, and afterwards every later full
    collection would pay it again. The GUI thread cannot run Python meanwhile, so
    the window stutters. Imports make almost no cyclic garbage, so pausing the
    collector costs nothing; freezing (once per process) keeps those objects out of
    every later collection.
    """
    global _frozen_once
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not _frozen_once:
            gc.freeze()
            _frozen_once = True
        if was_enabled:
            gc.enable()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    # keep the traceback on stderr for developers; users see one clear line
    traceback.print_exception(exc)
    return text.splitlines()[0] if len(text) < 400 else text[:400] + "…"


def _default_store():
    # models still run in this process for jobs that do not use ctx.call() (imported on the worker)
    from explorer.models.store import ModelStore

    return ModelStore()


@dataclass
class _Callbacks:
    owner: str
    on_result: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None
    on_progress: Callable[[float | None, str], None] | None
    on_partial: Callable[[object], None] | None


class Engine(QObject):
    """GUI-side face of the worker. Create one per window; call `shutdown()` on close."""

    busy_changed = Signal(bool, str)  # busy, title of the running job
    progress_changed = Signal(object, str)  # fraction or None, message
    device_changed = Signal(str)
    notice = Signal(str)
    job_finished = Signal(int, str)  # job id, owner: emitted after its callbacks ran
    job_failed = Signal(str, str)  # owner, message

    def __init__(self, store_factory: Callable[[], Any] | None = None, parent: QObject | None = None,
                 hold_until_warm_up_s: float = 0.0, host: HostClient | None = None) -> None:
        """hold_until_warm_up_s > 0: the worker waits for `warm_up()` (or that many seconds) before any work.

        store_factory: serve `ctx.models` from this store in this process (tests); without it, models
        live in the model host process and jobs reach them with `ctx.call()`.
        host: use this model host (it stays running after `shutdown()`; tests share one); by default
        the engine starts its own.
        """
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, _Callbacks] = {}
        self._latest: dict[str, int] = {}
        self.device_label = "starting…"
        self._worker = _Worker(store_factory, hold_until_warm_up_s, host)
        _LIVE_WORKERS.add(self._worker)
        self._worker.progress.connect(self._on_progress)
        self._worker.partial.connect(self._on_partial)
        self._worker.started_job.connect(self._on_started)
        self._worker.done.connect(self._on_done)
        self._worker.device_ready.connect(self._on_device)
        self._worker.notice.connect(self.notice)
        self._worker.start()
        app = QCoreApplication.instance()
        if app is not None:  # never leave the thread running past the event loop
            app.aboutToQuit.connect(self.shutdown)

    # --- public API (GUI thread) ---
    def submit(self, fn: Callable[[JobContext], Any], *, owner: str, title: str = "",
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None,
               on_progress: Callable[[float | None, str], None] | None = None,
               on_partial: Callable[[object], None] | None = None) -> int:
        job = _Job(next(self._ids), owner, title or owner, fn)
        self._callbacks[job.id] = _Callbacks(owner, on_result, on_error, on_progress, on_partial)
        self._latest[owner] = job.id
        for dropped in self._worker.enqueue(job):
            self._finish(dropped.id)
        return job.id

    def cancel(self, owner: str | None = None) -> None:
        """Cancel an owner's jobs (or all jobs): pending ones vanish, the running one stops at its next step.

        Nothing more of a cancelled job reaches its pane: not even partial
        results that were already on their way.
        """
        if owner is None:
            self._latest.clear()
        else:
            self._latest.pop(owner, None)
        for dropped in self._worker.cancel(owner):
            self._finish(dropped.id)

    def run(self, operation: str, arguments: dict | None = None, *, owner: str, title: str = "",
            on_result: Callable[[Any], None] | None = None, on_error: Callable[[str], None] | None = None,
            on_progress: Callable[[float | None, str], None] | None = None,
            on_partial: Callable[[object], None] | None = None) -> int:
        """Submit a job that is exactly one host operation, `operation(**arguments)`."""
        arguments = dict(arguments or {})
        return self.submit(lambda ctx: ctx.call(operation, **arguments), owner=owner, title=title,
                           on_result=on_result, on_error=on_error, on_progress=on_progress, on_partial=on_partial)

    def set_device_preference(self, preference: str) -> None:
        def switch(ctx: JobContext) -> str:
            if self._worker.store is not None:  # models (also) in this process
                from explorer.models import device as devices

                ctx.models.set_preference(preference)
                if not self._worker.uses_host:
                    return devices.label(ctx.models.device)
            return ctx.call("host.set_device", preference=preference)

        self.submit(switch, owner="engine.device", title="Switching device", on_result=self._on_device)

    def warm_up(self) -> None:
        """Let a held worker start: import torch, pick the device, run queued jobs."""
        self._worker.go.set()

    def is_idle(self) -> bool:
        return not self._callbacks and self._worker.pending() == 0

    def pending_owners(self) -> set[str]:
        return {cb.owner for cb in self._callbacks.values()}

    def shutdown(self, timeout_ms: int = 500) -> bool:
        """Stop the worker and the model host; True if the worker ended within the timeout."""
        if not self._worker.isRunning():
            self._worker.stop_host(min(1.0, timeout_ms / 1000))
            return True
        if self._worker.stopping.is_set() and timeout_ms <= 700:
            # already asked once (window close, then aboutToQuit): do not wait twice
            return False
        self._worker.stop()
        # the host first: a worker waiting on a host call is released when the host goes
        self._worker.stop_host(min(1.0, timeout_ms / 1000))
        finished = self._worker.wait(timeout_ms)
        self._callbacks.clear()
        return bool(finished)

    @property
    def running(self) -> bool:
        return self._worker.isRunning()

    # --- worker signals, delivered on the GUI thread ---
    def _current(self, job_id: int) -> _Callbacks | None:
        cb = self._callbacks.get(job_id)
        if cb is None or self._latest.get(cb.owner) != job_id:
            return None
        return cb

    @Slot(int, str)
    def _on_started(self, job_id: int, title: str) -> None:
        if job_id in self._callbacks:
            self.busy_changed.emit(True, title)

    @Slot(int, object, str)
    def _on_progress(self, job_id: int, fraction: object, message: str) -> None:
        cb = self._current(job_id)
        if cb is None:
            return
        self.progress_changed.emit(fraction, message)
        if cb.on_progress:
            cb.on_progress(fraction, message)

    @Slot(int, object)
    def _on_partial(self, job_id: int, value: object) -> None:
        cb = self._current(job_id)
        if cb is not None and cb.on_partial:
            cb.on_partial(value)

    @Slot(int, bool, object)
    def _on_done(self, job_id: int, ok: bool, payload: object) -> None:
        cb = self._current(job_id)
        try:
            if cb is not None:
                if ok and cb.on_result:
                    cb.on_result(payload)
                elif not ok and not isinstance(payload, Cancelled):
                    if cb.on_error:
                        cb.on_error(str(payload))
                    self.job_failed.emit(cb.owner, str(payload))
        finally:
            self._finish(job_id)

    def _finish(self, job_id: int) -> None:
        cb = self._callbacks.pop(job_id, None)
        if self._worker.pending() == 0 and not self._callbacks:
            self.busy_changed.emit(False, "")
        if cb is not None:
            self.job_finished.emit(job_id, cb.owner)

    @Slot(str)
    def _on_device(self, text: str) -> None:
        self.device_label = text
        self.device_changed.emit(text)
