"""`python -m explorer.models.prepare`: make every offline default ready (run by `make setup`)."""
from __future__ import annotations

import sys

from explorer.models import smollm2


class _StderrProgress:
    def __init__(self) -> None:
        self._last = ""

    def report(self, fraction, message=""):  # noqa: ANN001
        line = f"{message} {'' if fraction is None else f'{fraction:.0%}'}"
        if line != self._last:
            print(line, file=sys.stderr)
            self._last = line

    def check(self) -> None:
        pass

    def partial(self, value) -> None:  # noqa: ANN001
        pass


def main() -> None:
    folder = smollm2.ensure_converted(_StderrProgress(), deep_check=True)
    print(f"SmolLM2 ready in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
