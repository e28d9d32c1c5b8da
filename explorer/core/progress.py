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
