"""core/ and models/ must never import Qt: they run headless in the CLI and in tests."""
import pkgutil
import subprocess
import sys

import explorer.core
import explorer.models

BLOCKER = """
import importlib.abc, sys
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt imported from a Qt-free layer: ' + name)
sys.meta_path.insert(0, BlockQt())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print('ok')
"""


def _modules(package) -> list[str]:
    return [f"{package.__name__}.{m.name}" for m in pkgutil.walk_packages(package.__path__)]


def test_core_models_and_cli_import_without_qt():
    names = _modules(explorer.core) + _modules(explorer.models) + ["explorer.cli"]
    names += [f"explorer.commands.{m.name}" for m in pkgutil.iter_modules(__import__("explorer.commands").commands.__path__)]
    result = subprocess.run([sys.executable, "-c", BLOCKER, *names], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_the_blocker_really_blocks_qt():
    result = subprocess.run([sys.executable, "-c", BLOCKER, "explorer.ui.pane"], capture_output=True, text=True)
    assert result.returncode != 0 and "Qt imported" in result.stderr


def _imported_names(path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_core_imports_nothing_from_models():
    """core/ is the model-free layer: app paths and models are handed in by the caller (host operation, CLI)."""
    from pathlib import Path

    root = Path(explorer.core.__file__).parent
    offenders = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                       if any(name == "explorer.models" or name.startswith("explorer.models.")
                              for name in _imported_names(path)))
    assert offenders == []
