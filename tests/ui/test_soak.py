"""A short seeded soak: ~500 random actions through the real window, then every pane still answers.

The actions (panes, tabs, typing and pasting CJK / Arabic / emoji ZWJ / 50 KB / 6,000-line texts,
F5 and Esc, Ctrl+= / Ctrl+-, Page Down / Page Up scenes, presets) come from benchmarks/soak.py,
which also runs the long one (`make soak`). On a failure the action log is written next to the
test's temporary files; `python -m benchmarks.soak --replay THAT_FILE` performs it again.
"""
from __future__ import annotations

import pytest

from benchmarks.soak import Soak, panes_answer, settle
from tests.helpers import app_window

ACTIONS = 500
SEED = 20261206


@pytest.mark.slow  # real models behind the panes; under a minute on a 2-core machine
def test_500_random_actions_leave_no_uncaught_exception_and_every_pane_answers(qtbot, settings_file, tmp_path):
    with app_window(qtbot) as window:
        window.resize(1600, 1000)
        soak = Soak(window, SEED)
        # pytest-qt hands us every exception raised in a slot or a Qt virtual method
        with qtbot.captureExceptions() as exceptions:
            try:
                soak.run(ACTIONS)
            finally:
                log = soak.save_log(tmp_path / "soak-actions.json")
            assert settle(window), "the engine did not become idle after the soak"
            problems = panes_answer(window)
        assert len(soak.log) == ACTIONS
        uncaught = [f"{kind.__name__}: {value}" for kind, value, _ in exceptions]
        assert not uncaught, f"uncaught exceptions during the soak (replay: --replay {log}): {uncaught[:3]}"
        assert not problems, f"after the soak (replay: --replay {log}): {problems}"
