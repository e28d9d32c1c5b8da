"""Soak: seeded random actions through the real window, as a restless (or hostile) user would.

    python -m benchmarks.soak --actions 3000 [--seed 7]      (make soak)
    python -m benchmarks.soak --replay benchmarks/results/soak-actions.json

Switches panes and tabs, types and pastes texts (CJK, Arabic, emoji ZWJ sequences, a 50 KB
text, a 6,000-line text), presses F5/Esc, zooms (Ctrl+= / Ctrl+-), steps scenes (Page Down /
Page Up) and applies presets, with the real models behind the panes. Reports uncaught
exceptions (from slots and Qt virtual methods), RSS growth, the longest GUI stall (the longest
gap between ticks of a 10 ms timer) and the slowest actions; writes JSON to benchmarks/results/.

Every action is drawn from a seeded generator and logged as plain data, so a run can be
replayed action by action (--replay) from its log. tests/ui/test_soak.py runs a short one.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

ARABIC = "مرحبا بالعالم، هذه جملة عربية تُكتب من اليمين إلى اليسار ١٢٣"
CJK = "我爱自然语言处理。東京は日本の首都です。한국어 텍스트도 있습니다"
EMOJI = "👩‍👩‍👧‍👦 family 🧑🏽‍🚀 astronaut 🏳️‍🌈 flag 👍🏿 e\u0301 ﷽ \u200b\u200d\ufeff"


def _texts() -> dict[str, str]:
    mixed = " ".join(("The quick brown fox jumps over the lazy dog.", CJK, ARABIC, EMOJI, "x = 12345678901234;"))
    return {
        "word": "frog",
        "sentence": "Sarah fed the cat because it was hungry",
        "code": "def f(x):\n\treturn x ** 2  # square\n",
        "cjk": CJK,
        "arabic": ARABIC,
        "emoji": EMOJI,
        "mixed": mixed,
        "50kb": (mixed + "\n") * (50_000 // (len(mixed) + 1) + 1),
        "6000-lines": "\n".join(f"line {i}: {('abc ' * (i % 7))}{CJK[i % len(CJK)]}" for i in range(6000)),
        "blank": "   \n\t ",
    }


TEXTS = _texts()
# what QTest can type key by key (ASCII); everything else arrives by paste, as from an IME or the clipboard
TYPEABLE = ("word", "sentence")
KEYS = {"F5": ("Key_F5", ()), "Esc": ("Key_Escape", ()), "PgDown": ("Key_PageDown", ()),
        "PgUp": ("Key_PageUp", ()), "Ctrl+=": ("Key_Equal", ("ControlModifier",)),
        "Ctrl+-": ("Key_Minus", ("ControlModifier",)), "Ctrl+0": ("Key_0", ("ControlModifier",))}
# (kind, weight): big pastes are rare, as they are in a lecture
WEIGHTS = (("pane", 10), ("tab", 14), ("type", 14), ("paste", 10), ("paste-big", 1.2), ("clear", 5),
           ("enter", 5), ("key", 16), ("preset", 5), ("wait", 6))


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Soak:
    """Draws and performs actions on a shown MainWindow; keeps the log, the stalls and the dialogs seen."""

    def __init__(self, window, seed: int = 0) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance()
        self.window = window
        self.rng = random.Random(seed)
        self.seed = seed
        self.log: list[list] = []
        self.durations: list[tuple[float, int, list]] = []  # (seconds, index, action)
        self.dialogs: list[str] = []  # texts of the message boxes that came up (and were closed)
        self._ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(lambda: self._ticks.append(time.perf_counter()))

    # --- what is on screen ---
    def pane(self):
        return self.window.current_pane()

    def _visible(self, kind) -> list:
        pane = self.pane()
        if pane is None:
            return []
        return [w for w in pane.findChildren(kind) if w.isVisible() and w.isEnabled()]

    def tab_widgets(self) -> list:
        from PySide6.QtWidgets import QTabWidget

        return self._visible(QTabWidget)

    def editables(self) -> list:
        from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit

        return [w for kind in (QLineEdit, QPlainTextEdit, QTextEdit) for w in self._visible(kind)
                if not w.isReadOnly()]

    # --- drawing actions (plain data, so a log replays) ---
    def draw(self) -> list:
        kinds, weights = zip(*WEIGHTS)
        kind = self.rng.choices(kinds, weights)[0]
        r = self.rng
        if kind == "pane":
            return ["pane", r.choice(self.window.pane_ids())]
        if kind == "tab":
            return ["tab", r.randrange(4), r.randrange(12)]
        if kind == "type":
            return ["type", r.randrange(8), r.choice(TYPEABLE)]
        if kind == "paste":
            return ["paste", r.randrange(8), r.choice(["word", "sentence", "code", "cjk", "arabic", "emoji", "mixed",
                                                       "blank"])]
        if kind == "paste-big":
            return ["paste", r.randrange(8), r.choice(["50kb", "6000-lines"])]
        if kind == "clear":
            return ["clear", r.randrange(8)]
        if kind == "enter":
            return ["enter", r.randrange(8)]
        if kind == "key":
            return ["key", r.choices(list(KEYS), [3, 2, 4, 2, 2, 2, 1])[0]]
        if kind == "preset":
            return ["preset", r.randrange(16)]
        return ["wait", r.choice([50, 200, 800])]

    # --- performing them ---
    def perform(self, action: list) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        kind, *args = action
        window = self.window
        if kind == "pane":
            if window.sidebar.isVisible():  # click it in the sidebar, as a user does
                row = window.pane_ids().index(args[0])
                item = window.sidebar.item(row)
                rect = window.sidebar.visualItemRect(item)
                QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                                 rect.center())
            else:  # presenter mode hides the sidebar: a scene opens panes there
                window.show_pane(args[0])
        elif kind == "tab":
            tabs = self.tab_widgets()
            if tabs:
                widget = tabs[args[0] % len(tabs)]
                bar = widget.tabBar()
                index = args[1] % widget.count()
                if bar.isVisible() and not bar.tabRect(index).isEmpty():
                    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                                     bar.tabRect(index).center())
                else:
                    widget.setCurrentIndex(index)
        elif kind in ("type", "paste", "clear", "enter"):
            fields = self.editables()
            if not fields:
                return
            field = fields[args[0] % len(fields)]
            field.setFocus()
            if kind == "type":
                QTest.keyClicks(field, TEXTS[args[1]])
            elif kind == "paste":
                QApplication.clipboard().setText(TEXTS[args[1]])
                QTest.keySequence(field, QKeySequence(QKeySequence.StandardKey.Paste))
            elif kind == "clear":
                QTest.keySequence(field, QKeySequence(QKeySequence.StandardKey.SelectAll))
                QTest.keyClick(field, Qt.Key.Key_Delete)
            else:
                QTest.keyClick(field, Qt.Key.Key_Return)
        elif kind == "key":
            key, modifiers = KEYS[args[0]]
            mods = Qt.KeyboardModifier.NoModifier
            for name in modifiers:
                mods |= getattr(Qt.KeyboardModifier, name)
            # to whatever has the focus, as a keyboard (or a presentation clicker) sends it
            target = QApplication.focusWidget() or window
            QTest.keyClick(target, getattr(Qt.Key, key), mods)
        elif kind == "preset":
            pane = self.pane()
            presets = pane.presets() if pane is not None else []
            if presets:
                pane.apply_preset(presets[args[0] % len(presets)])
        elif kind == "wait":
            QTest.qWait(args[0])
        else:
            raise ValueError(f"unknown soak action {action!r}")

    def close_dialogs(self) -> None:
        """Close message boxes and dialogs that came up (a user reads and closes them); keep their texts."""
        from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                text = widget.text() if isinstance(widget, QMessageBox) else widget.windowTitle()
                self.dialogs.append(f"action {len(self.log) - 1}: {text}")
                widget.reject()

    def step(self, action: list, pause_ms: int) -> None:
        from PySide6.QtTest import QTest

        self.log.append(action)
        start = time.perf_counter()
        self.perform(action)
        QTest.qWait(pause_ms)
        self.close_dialogs()
        self.durations.append((time.perf_counter() - start, len(self.log) - 1, action))

    def run(self, actions: int | None = None, replay: list[list] | None = None,
            on_progress: Callable[[int], None] | None = None) -> None:
        """Draw and perform `actions` actions (or replay a logged list), with a 5-30 ms pause after each."""
        from PySide6.QtWidgets import QApplication

        self.window.activateWindow()  # shortcuts (F5, Esc, Ctrl+=) reach only the active window
        deadline = time.monotonic() + 5
        while QApplication.activeWindow() is not self.window and time.monotonic() < deadline:
            self.app.processEvents()
        self._timer.start()
        try:
            count = len(replay) if replay is not None else int(actions or 0)
            for i in range(count):
                action = list(replay[i]) if replay is not None else self.draw()
                self.step(action, self.rng.randint(5, 30))
                if on_progress is not None:
                    on_progress(i + 1)
        finally:
            self._timer.stop()

    # --- what happened ---
    def longest_stall(self) -> tuple[float, int | None]:
        """(longest gap between 10 ms timer ticks in seconds, index of the action running then)."""
        gaps = [(b - a, b) for a, b in zip(self._ticks, self._ticks[1:])]
        if not gaps:
            return 0.0, None
        gap, at = max(gaps)
        # the action whose span contains the end of the gap
        elapsed = 0.0
        start = self._ticks[0]
        for seconds, index, _ in self.durations:
            elapsed += seconds
            if start + elapsed >= at:
                return gap, index
        return gap, None

    def slowest(self, n: int = 8) -> list[dict]:
        return [{"index": i, "action": a, "seconds": round(s, 3)} for s, i, a in sorted(self.durations, reverse=True)[:n]]

    def save_log(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seed": self.seed, "actions": self.log}, ensure_ascii=False, indent=0),
                        encoding="utf-8")
        return path


def settle(window, timeout_s: float = 300.0) -> bool:
    """Leave presenter mode, drop queued jobs, and wait until the engine and every pane are idle."""
    from PySide6.QtTest import QTest

    window.presenter.exit()
    window.engine.cancel(None)  # what the soak left queued (a 50 KB attention run) is nobody's wait
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if window.engine.is_idle() and not any(p.is_busy() for p in window.built_panes()):
            return True
        QTest.qWait(50)
    return False


def wait_until(condition: Callable[[], bool], timeout_s: float = 300.0) -> bool:
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        QTest.qWait(20)
    return condition()


def panes_answer(window, timeout_s: float = 300.0) -> list[str]:
    """After the soak: each pane still does its job. Returns the problems found (empty when all answer)."""
    from explorer.models import catalogue
    from explorer.models.tokenizer_loader import load_tokenizer_entry

    problems: list[str] = []
    # tokenizer lab: a new text is re-tokenized and counted right
    tokenizers = window.show_pane("tokenizers")
    text = "Soak check: naïve café, 12345 tokens? 東京 👍"
    tokenizers.editor.setPlainText(text)
    if not wait_until(lambda: (r := tokenizers.result("gpt2")) is not None and r.text == text, timeout_s):
        problems.append("tokenizer lab: GPT-2 row did not re-tokenize the new text")
    else:
        expected = len(load_tokenizer_entry(catalogue.find("gpt2", "tokenizer")).model.tokenize(text))
        label = tokenizers.row("gpt2").count_label.text()
        if str(expected) not in label:
            problems.append(f"tokenizer lab: GPT-2 count label '{label}' lacks the real count {expected}")
    # attention: SmolLM2 on the lecture's sentence
    attention = window.show_pane("attention")
    attention.set_model_id("smollm2")
    attention.set_text("Sarah fed the cat because it")
    attention.recompute()
    want = ["Sarah", " fed", " the", " cat", " because", " it"]
    if not wait_until(lambda: attention.analysis is not None and attention.analysis.result.tokens == want
                      and not attention.is_busy(), timeout_s):
        got = attention.analysis.result.tokens if attention.analysis is not None else None
        problems.append(f"attention: no analysis of 'Sarah fed the cat because it' (tokens {got}, "
                        f"message '{attention.info.text()}')")
    # embeddings: GloVe neighbours of a word
    embeddings = window.show_pane("embeddings")
    embeddings.apply_preset("neighbours")
    tab = embeddings.neighbours
    if not wait_until(lambda: "toad" in tab.table.words() and not embeddings.is_busy(), timeout_s):
        problems.append(f"embeddings: no GloVe neighbours of 'frog' (table {tab.table.words()[:5]})")
    # images & text: the pane comes up and says what it shows
    image_text = window.show_pane("image-text")
    if window.current_pane() is not image_text or not image_text.isVisible():
        problems.append("images & text: the pane did not come up")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replay", type=Path, help="a soak-actions JSON log to perform again, action by action")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    if args.actions < 1:
        parser.error("--actions must be at least 1")
    replay = None
    if args.replay is not None:
        try:
            logged = json.loads(args.replay.read_text(encoding="utf-8"))
            replay, args.seed = logged["actions"], int(logged.get("seed", args.seed))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            parser.error(f"cannot read the replay log {args.replay}: {exc}")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import tempfile

    os.environ["LLM_EXPLORER_SETTINGS"] = os.path.join(tempfile.mkdtemp(), "settings.ini")
    from explorer.ui.application import make_application
    from explorer.ui.main_window import MainWindow

    errors: list[str] = []

    def hook(kind, value, tb) -> None:  # PySide reports exceptions in slots and virtual methods here
        errors.append(f"after action {len(soak.log) - 1}: " + "".join(traceback.format_exception(kind, value, tb)))
        sys.__excepthook__(kind, value, tb)

    app = make_application(["soak"])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    soak = Soak(window, args.seed)
    sys.excepthook = hook
    samples: list[tuple[int, float]] = []
    log_path = RESULTS / "soak-actions.json"
    started = time.perf_counter()
    try:
        settle(window, 60)
        samples.append((0, rss_mb()))

        def progress(done: int) -> None:
            if done % 100 == 0:
                samples.append((done, rss_mb()))
                print(f"{done} actions, {time.perf_counter() - started:.0f} s, RSS {samples[-1][1]:.0f} MB, "
                      f"{len(errors)} exceptions", flush=True)
            if done % 250 == 0:
                soak.save_log(log_path)

        soak.run(args.actions, replay, progress)
        soak_s = time.perf_counter() - started
        soak.save_log(log_path)
        stall, stall_at = soak.longest_stall()
        idle = settle(window)
        problems = panes_answer(window) if idle else ["the engine did not become idle within 300 s"]
    finally:
        sys.excepthook = sys.__excepthook__
        window.close()
        window.engine.shutdown(60_000)
    samples.append((len(soak.log), rss_mb()))
    first, last = samples[0][1], samples[-1][1]
    two_thirds = next((mb for n, mb in samples if n >= len(soak.log) * 2 // 3), last)
    from benchmarks.__main__ import machine

    report = {
        "machine": machine(), "load_average_at_end": os.getloadavg()[0], "seed": args.seed,
        "actions": len(soak.log), "seconds": round(soak_s, 1), "uncaught_exceptions": errors,
        "rss_mb": {"start": round(first, 1), "end": round(last, 1), "growth": round(last - first, 1),
                   "growth_over_last_third": round(last - two_thirds, 1), "samples": samples},
        "longest_gui_stall_ms": round(stall * 1000, 1),
        "longest_stall_during": {"index": stall_at, "action": soak.log[stall_at] if stall_at is not None else None},
        "slowest_actions": soak.slowest(), "dialogs": soak.dialogs[:50], "dialog_count": len(soak.dialogs),
        "panes_answer": problems or "all", "action_log": str(log_path),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(soak.log)} actions in {soak_s:.0f} s (seed {args.seed}); uncaught exceptions: {len(errors)}")
    print(f"RSS {first:.0f} -> {last:.0f} MB ({last - first:+.0f} MB; {last - two_thirds:+.0f} MB over the last third)")
    print(f"longest GUI stall: {stall * 1000:.0f} ms (during action {stall_at}: "
          f"{soak.log[stall_at] if stall_at is not None else '-'})")
    print(f"dialogs closed: {len(soak.dialogs)}; panes answer: {'yes' if not problems else problems}")
    print(f"report: {args.out}; action log: {log_path} (replay with --replay)")
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
