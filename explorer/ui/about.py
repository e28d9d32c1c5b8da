"""Help: the About box (versions, licences of the bundled models and vocabularies) and the tips."""
from __future__ import annotations

import html
import sys

from PySide6.QtCore import Signal, qVersion
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QPushButton, QTextBrowser,
                               QVBoxLayout, QWidget)

from explorer import APP_NAME, __version__

# distribution name -> what to call it; read from installed metadata so torch is never imported here
VERSIONED = (("torch", "PyTorch"), ("transformers", "transformers"), ("tokenizers", "tokenizers"),
             ("tiktoken", "tiktoken"), ("numpy", "NumPy"), ("pyqtgraph", "pyqtgraph"),
             ("scikit-learn", "scikit-learn"))
BUNDLED_SOFTWARE_LICENCES = (("Qt 6 / PySide6", "LGPL-3.0"), ("PyTorch", "BSD-3-Clause"),
                             ("transformers, tokenizers", "Apache-2.0"), ("tiktoken", "MIT"),
                             ("NumPy, SciPy, scikit-learn, scikit-image", "BSD-3-Clause"),
                             ("pyqtgraph", "MIT"), ("sentencepiece", "Apache-2.0"))

TIPS = (
    ("F5", "presenter mode: full screen, big text, high contrast. Esc leaves it."),
    ("Page Down / Page Up", "step through the lecture scenes (also with a presentation clicker)."),
    ("Ctrl + = / Ctrl + -", "make all text larger or smaller; Ctrl + 0 resets it."),
    ("File › Save session", "keeps everything you typed and chose; File › Open session brings it back."),
    ("File › Export", "saves the current plot as PNG (2x) or SVG, or its numbers as CSV / NPY."),
    ("File › Save current state as a new scene", "adds what you see now to your lecture outline."),
    ("Device menu", "runs models on the GPU when there is one; everything also works on the CPU, offline."),
)


def versions() -> list[tuple[str, str]]:
    # imported here: importlib.metadata and platform cost ~40 ms, the About box is rare
    import platform
    from importlib import metadata

    rows = [(APP_NAME, __version__), ("Python", platform.python_version()), ("Qt", qVersion())]
    try:
        import PySide6

        rows.append(("PySide6", PySide6.__version__))
    except (ImportError, AttributeError):
        pass
    for dist, label in VERSIONED:
        try:
            rows.append((label, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            module = sys.modules.get(dist)
            rows.append((label, getattr(module, "__version__", "not installed")))
    return rows


def bundled_entries() -> list:
    """Catalogue entries that work offline (bundled with the app or its packages)."""
    from explorer.models.catalogue import entries

    return [e for e in entries() if e.offline]


def about_html() -> str:
    version_rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in versions())
    model_rows = "".join(
        f"<tr><td>{html.escape(e.title)}</td><td>{html.escape(e.kind)}</td><td>{html.escape(e.licence)}</td>"
        f"<td>{html.escape(_source(e.source))}</td></tr>" for e in bundled_entries())
    notes = "".join(f"<p>{html.escape(e.quantization_note)}</p>" for e in bundled_entries() if e.quantization)
    software_rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                            for k, v in BUNDLED_SOFTWARE_LICENCES)
    return (f"<h2>{APP_NAME} {html.escape(__version__)}</h2>"
            "<p>See inside language models: tokens, embeddings, attention, the next token, and images and "
            "text in one space. Works offline. Licence: Apache-2.0.</p>"
            f"<h3>Versions</h3><table cellpadding='3'>{version_rows}</table>"
            "<h3>Bundled models and vocabularies</h3>"
            "<table cellpadding='3'><tr><th align='left'>Name</th><th align='left'>Kind</th>"
            f"<th align='left'>Licence</th><th align='left'>Comes from</th></tr>{model_rows}</table>{notes}"
            "<p>Models from the Hugging Face Hub keep the licence on their model card.</p>"
            f"<h3>Software it is built on</h3><table cellpadding='3'>{software_rows}</table>")


def _source(source: str) -> str:
    kind, _, rest = source.partition(":")
    return {"package": f"Python package {rest}", "vendored": f"bundled file {rest}",
            "local": rest, "hub": f"Hugging Face Hub {rest}"}.get(kind, source)


def tips_html() -> str:
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in TIPS)
    return f"<h2>Tips</h2><table cellpadding='4'>{rows}</table>"


class TextDialog(QDialog):
    """A resizable dialog showing rich text (About, Tips)."""

    def __init__(self, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(760, 620)


class TipsBanner(QFrame):
    """First-run tips above the panes; "Got it" hides it for good, Help › Tips shows them again."""

    dismissed = Signal()
    more_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("tips_banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel("<b>Welcome!</b> F5 starts presenter mode · Page Down steps through the lecture "
                            "scenes · Ctrl + = makes text larger · File › Save session keeps your work.")
        self.label.setWordWrap(True)
        # rich text is detected from the tags (Qt.TextFormat would build the Qt enums before the first paint)
        more = QPushButton("All tips")
        more.clicked.connect(self.more_requested)
        self.got_it = QPushButton("Got it")
        self.got_it.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(more)
        layout.addWidget(self.got_it)
        self.hide()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
