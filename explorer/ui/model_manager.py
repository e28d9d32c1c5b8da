"""The model manager: the catalogue, what is installed or cached, Hub downloads with progress and cancel.

Whether an entry is cached and the download itself run in the model host ("models.states",
"models.download" in explorer/host/ops/models.py): the Hub cache walk and huggingface_hub stay out of the
GUI process, and the table fills in when the states arrive.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from explorer.engine import Engine
from explorer.models import catalogue

# the state next to the name: what a teacher looks for, visible without scrolling sideways
COLUMNS = ("Id", "Kind", "Name", "State", "Size", "Licence", "Source")
STATE_COLUMN = COLUMNS.index("State")
OWNER = "model-manager.download"
STATES_OWNER = "model-manager.states"
CHECKING = "checking…"  # the state shown until the model process has looked


class ModelManagerDialog(QDialog):
    def __init__(self, engine: Engine, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.engine = engine
        self.setWindowTitle("Model manager")
        self.resize(1000, 620)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)  # row numbers mean nothing here
        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("or any Hub id, e.g. distilbert/distilbert-base-uncased")
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.message = QLabel("Offline entries come with the app. Hub entries need a network once, then stay cached.")
        self.message.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.hub_id, 1)
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.engine.job_finished.connect(self._finished)
        self.refresh()

    def refresh(self) -> None:
        """List the catalogue now; each entry's state follows when the model process has checked the disk."""
        entries = catalogue.entries()
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            size = f"{entry.size_mb:,.0f} MB" if entry.size_mb >= 1 else f"{entry.size_mb * 1000:.0f} kB"
            values = (entry.id, entry.kind, entry.title, CHECKING, size, entry.licence,
                      "offline" if entry.offline else f"Hub: {entry.hub_id}")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, (entry.id, entry.kind))
                item.setToolTip(" ".join(t for t in (entry.description, entry.quantization_note) if t))
                self.table.setItem(row, col, item)
        self.engine.run("models.states", owner=STATES_OWNER, title="Checking which models are on this computer",
                        on_result=self._show_states, on_error=self._states_failed)

    def _show_states(self, states: dict[str, str]) -> None:
        for row in range(self.table.rowCount()):
            model_id, kind = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            self.table.item(row, STATE_COLUMN).setText(states.get(f"{kind}/{model_id}", "unknown"))

    def _states_failed(self, message: str) -> None:
        for row in range(self.table.rowCount()):
            self.table.item(row, STATE_COLUMN).setText("unknown")
        self.message.setText(f"Could not check which models are here: {message}")

    def selected(self) -> catalogue.CatalogueEntry | None:
        typed = self.hub_id.text().strip()
        if typed:
            return catalogue.find(typed, "model") if catalogue.looks_like_hub_id(typed) else None
        items = self.table.selectedItems()
        if not items:
            return None
        model_id, kind = items[0].data(Qt.ItemDataRole.UserRole)
        return catalogue.find(model_id, kind)

    def download_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            self.message.setText("Select a Hub entry, or type a Hub id like 'org/name'.")
            return
        if entry.offline:
            self.message.setText(f"{entry.title} comes with the app: nothing to download.")
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.message.setText(f"Connecting to the Hub for {entry.hub_id}…")
        self.engine.run("models.download", {"hub_id": entry.hub_id, "kind": entry.kind}, owner=OWNER,
                        title=f"Downloading {entry.hub_id}", on_result=self._done, on_error=self._failed,
                        on_progress=self._progress)

    def cancel_download(self) -> None:
        self.engine.cancel(OWNER)
        self.message.setText("Download cancelled.")

    def _progress(self, fraction, message: str) -> None:  # noqa: ANN001
        if isinstance(fraction, float):
            self.progress.setValue(int(fraction * 1000))
        self.message.setText(message)

    def _done(self, folder: str) -> None:
        self.progress.setValue(1000)
        self.message.setText(f"Downloaded to {folder}")
        self.refresh()

    def _failed(self, message: str) -> None:
        self.message.setText(message)

    def _finished(self, _job_id: int, owner: str) -> None:
        if owner == OWNER:
            self.download_button.setEnabled(True)
            self.cancel_button.setEnabled(False)

    def done(self, result: int) -> None:  # noqa: D102 - QDialog API: closed by any means
        self.engine.cancel(OWNER)
        self.engine.cancel(STATES_OWNER)
        try:
            self.engine.job_finished.disconnect(self._finished)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
