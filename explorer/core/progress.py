"""Progress reporting and cooperative cancellation for long computations.

Core functions take an optional `Progress`; the engine passes one bound to
its worker thread, tests pass `NullProgress` or a recording stub.
"""
from __future__ import annotations

from typing import Protocol


class Cancelled(Exception):
    """Raised between steps when the user (or a newer request) cancelled the job."""


class Progress(Protocol):
    def report(self, fraction: float | None, message: str = "") -> None:
        """fraction in [0, 1], or None when the amount of work is unknown."""

    def check(self) -> None:
        """Raise `Cancelled` if the job should stop now."""

    def partial(self, value: object) -> None:
        """Hand an intermediate result to the UI (for example t-SNE positions)."""


class NullProgress:
    """Progress that records nothing and never cancels."""

    def report(self, fraction: float | None, message: str = "") -> None:
        pass

    def check(self) -> None:
        pass

    def partial(self, value: object) -> None:
        pass


def ensure(progress: Progress | None) -> Progress:
    return progress if progress is not None else NullProgress()


class ReportThrottle:
    """At most one progress report per `interval_s`, except unknown (None) and final (>= 1) fractions."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self._last = 0.0

    def due(self, fraction: float | None) -> bool:
        import time

        now = time.monotonic()
        if fraction is not None and fraction < 1.0 and now - self._last < self.interval_s:
            return False
        self._last = now
        return True
