"""The code stays readable for a newcomer: every module says what it is for, no module or class grows
into a god object (issue "A house a newcomer can find their way in")."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "explorer"
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400
# modules or classes allowed over the limit, each with the one sentence that says why it is one thing
ONE_THING: dict[str, str] = {
    "explorer/ui/attention/pane.py::AttentionPane":
        "joins one analysis of a text to the views that show it (run, select, refresh, save and restore); "
        "the views, their tabs and the follow-up jobs live in their own modules",
    "explorer/ui/embeddings/projection_panel.py::ProjectionPanel":
        "the projector's controls and the host requests behind them (project, cluster, colour, find, "
        "neighbours) for one point set",
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_module_says_what_it_is_for():
    missing = [_name(p) for p in _modules() if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []


def test_no_module_is_over_600_lines():
    long = {_name(p): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert {k: v for k, v in long.items() if k not in ONE_THING} == {}


def test_no_class_is_over_400_lines():
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                long[f"{_name(path)}::{node.name}"] = node.end_lineno - node.lineno + 1
    assert {k: v for k, v in long.items() if k not in ONE_THING} == {}

