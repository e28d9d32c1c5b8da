"""Running `llm-explorer` commands as a user would, with every model loader replaced by a tripwire.

`run_cli` runs explorer.cli.main in-process with its own stdin (bytes), stdout
and stderr (UTF-8, strict, as on a terminal); `tripwires` makes every way a
command loads a model (or trains one, or starts the window) raise ModelLoaded,
so a test can tell "refused before loading" from "accepted".
"""
from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from explorer.cli import main


class ModelLoaded(BaseException):  # noqa: N818 - not an error: the input was accepted
    """Raised by a tripwired loader. A BaseException, so the CLI's `except Exception` cannot swallow it."""


# every door to a model, a long job or the window, as (module, attribute)
LOADERS = [
    ("explorer.models.loader", "load"),
    ("explorer.models.tokenizer_loader", "load_tokenizer"),
    ("explorer.models.word_vectors", "load_word_vectors"),
    ("explorer.core.vector_files", "load_vector_files"),
    ("explorer.models.image_text", "train_and_save_mini_clip"),
    ("explorer.core.word2vec.train", "Trainer"),
    ("explorer.ui.application", "make_application"),
]


@contextmanager
def tripwires() -> Iterator[list[str]]:
    """Every loader raises ModelLoaded; yields the list of loaders that were called."""
    import importlib

    called: list[str] = []

    def wire(name: str):
        def tripped(*args, **kwargs):
            called.append(name)
            raise ModelLoaded(name)

        return tripped

    with pytest.MonkeyPatch.context() as mp:
        for module, attribute in LOADERS:
            mp.setattr(importlib.import_module(module), attribute, wire(f"{module}.{attribute}"))
        yield called


@dataclass
class Ran:
    code: int | None  # None: a tripwired loader was reached (the input was accepted)
    out: str
    err: str
    loaded: bool

    def check_contract(self, argv: list[str]) -> None:
        """Exit 0 or 2; a refusal is exactly one line; a --json success writes nothing on stderr."""
        assert "Traceback" not in self.err, (argv, self.err)
        quiet = "--json" in argv and "--progress" not in argv
        if self.loaded:  # accepted: with --json, nothing said on the way to the model either
            assert not quiet or self.err == "", (argv, self.err)
            return
        assert self.code in (0, 2), (argv, self.code, self.err)
        if self.code == 2:
            lines = self.err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("llm-explorer: "), (argv, self.err)
        elif quiet:
            assert self.err == "", (argv, self.err)

    def refused(self, argv: list[str]) -> str:
        """The one-line refusal, after checking it is one (and that no model loaded)."""
        assert not self.loaded, f"a model loaded for {argv!r}"
        self.check_contract(argv)
        assert self.code == 2, (argv, self.code, self.out, self.err)
        return self.err.strip()


def run_cli(argv: list[str], stdin: bytes = b"") -> Ran:
    """explorer.cli.main(argv) in-process; ModelLoaded (a tripwire) counts as 'accepted'."""
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    streams = (sys.stdin, sys.stdout, sys.stderr)
    # kept in locals: a wrapper that is collected closes the BytesIO under it
    ours = (io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape"),
            io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", write_through=True),
            io.TextIOWrapper(err_bytes, encoding="utf-8", errors="strict", write_through=True))
    sys.stdin, sys.stdout, sys.stderr = ours
    code, loaded = None, False
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else 2
    except ModelLoaded:
        loaded = True
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdin, sys.stdout, sys.stderr = streams
    out, err = out_bytes.getvalue(), err_bytes.getvalue()
    for stream in ours:
        stream.detach()
    return Ran(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), loaded)


def listing(folder: str | os.PathLike) -> set[str]:
    """Every path under `folder` (to see that a command wrote nothing there)."""
    found = set()
    for root, dirs, files in os.walk(folder):
        found.update(os.path.join(root, name) for name in dirs + files)
    return found
