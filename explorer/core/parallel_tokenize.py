"""One text through several tokenizers at once, on a few helper threads (the libraries release the GIL)."""
from __future__ import annotations

from explorer.core.tokenization import Tokenization
from explorer.core.tokenizer_base import TextTokenizer


class _Helpers:
    """A few daemon threads that run tokenizers beside the caller's thread.

    tiktoken, SentencePiece and `tokenizers`' encode_batch release the GIL,
    so two rows really tokenize at once on two cores. Daemon threads: they
    never keep the app (or a test) alive, and they hold no state between jobs.
    """

    def __init__(self) -> None:
        import queue
        import threading

        self._queue: "queue.Queue" = queue.Queue()
        self._lock = threading.Lock()
        self._threads: list = []

    def ensure(self, count: int) -> None:
        import threading

        with self._lock:
            while len(self._threads) < count:
                thread = threading.Thread(target=self._serve, name="tokenizer-helper", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        while True:
            task = self._queue.get()
            task()

    def submit(self, task) -> None:
        self._queue.put(task)


_HELPERS = _Helpers()


def default_threads() -> int:
    import os

    return max(1, min(4, (os.cpu_count() or 1)))


def tokenize_all(tokenizers: list[TextTokenizer], text: str, progress=None, on_each=None,
                 threads: int | None = None) -> list[Tokenization]:
    """Tokenize one text with several tokenizers, in parallel threads, results in the given order.

    `on_each(k, tokenization)` is called (in the calling thread) as each one
    finishes; cancellation is checked between tokenizers.
    """
    import queue

    threads = default_threads() if threads is None else threads
    n = len(tokenizers)
    results: list[Tokenization | None] = [None] * n
    if threads <= 1 or n <= 1:
        for k, tokenizer in enumerate(tokenizers):
            if progress is not None:
                progress.check()
                progress.report(k / max(1, n), f"Tokenizing {len(text):,} characters with {tokenizer.title}")
            results[k] = tokenizer.tokenize(text)
            if on_each is not None:
                on_each(k, results[k])
        return results  # type: ignore[return-value]
    import threading

    done: "queue.Queue" = queue.Queue()
    pending = list(range(n))
    lock = threading.Lock()
    stop = threading.Event()

    def drain() -> None:
        """Each helper takes the next tokenizer until none is left (or the job stopped)."""
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                k = pending.pop(0)
            try:
                done.put((k, tokenizers[k].tokenize(text), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.put((k, None, exc))

    helpers = min(threads, n)
    _HELPERS.ensure(helpers)
    for _ in range(helpers):
        _HELPERS.submit(drain)
    error: BaseException | None = None
    for finished in range(1, n + 1):
        k, result, exc = done.get()
        if exc is not None:
            error = exc
        else:
            results[k] = result
            if on_each is not None:
                on_each(k, result)
        if progress is not None:
            progress.report(finished / n, f"Tokenized {len(text):,} characters with {finished} of {n} tokenizers")
            try:
                progress.check()
            except BaseException as exc:  # noqa: BLE001 - stop handing out work, then re-raise
                error = exc
        if error is not None:
            stop.set()
            with lock:
                dropped = len(pending)
                pending.clear()
            # wait for the tokenizers already running (a library call cannot be interrupted)
            for _ in range(n - finished - dropped):
                done.get()
            raise error
    return results  # type: ignore[return-value]
