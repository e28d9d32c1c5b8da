"""The status bar: compute device, what is running, a progress bar and Cancel."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from explorer.engine import Engine


class EngineStatusBar(QStatusBar):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.activity = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job at its next step")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(lambda: engine.cancel(None))
        self.device = QLabel(f"Device: {engine.device_label}")
        self.device.setToolTip("Where models run. Change it in the Device menu.")
        self.addWidget(self.activity, 1)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel_button)
        self.addPermanentWidget(self.device)
        engine.busy_changed.connect(self._on_busy)
        self.messageChanged.connect(self._sync_activity)
        engine.progress_changed.connect(self._on_progress)
        engine.device_changed.connect(lambda text: self.device.setText(f"Device: {text}"))
        engine.notice.connect(lambda text: self.showMessage(text, 15000))
        engine.job_failed.connect(lambda owner, msg: self.showMessage(f"Error: {msg}", 15000))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        # A message shown while the bar was hidden (presenter mode hides it when idle) does not hide
        # the activity label when the bar reappears: "Ready" would be drawn over "That was the last scene."
        super().showEvent(event)
        self._sync_activity()

    def _sync_activity(self, *_args) -> None:
        self.activity.setVisible(not self.currentMessage())

    def _on_busy(self, busy: bool, title: str) -> None:
        self.activity.setText(title if busy else "Ready")
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # indeterminate until a fraction arrives

    def _on_progress(self, fraction: object, message: str) -> None:
        if message:
            self.activity.setText(message)
        if isinstance(fraction, (int, float)):
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(fraction))) * 1000))
        else:
            self.progress.setRange(0, 0)
