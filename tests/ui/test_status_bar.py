"""The status bar: a message is never drawn over by "Ready"."""
from __future__ import annotations

from tests.conftest import wait_for_jobs


def test_a_message_shown_while_the_bar_was_hidden_is_not_covered_by_ready(main_window, qtbot):
    """Presenter mode hides the bar when idle; "That was the last scene." arrived then, and "Ready" was drawn
    over it once the bar came back."""
    bar = main_window.status
    wait_for_jobs(qtbot, main_window.engine)  # the first pane's own work: the bar says "Ready" after it
    bar.hide()
    main_window.notify("That was the last scene.")
    bar.show()
    qtbot.wait(10)
    assert bar.currentMessage() == "That was the last scene."
    assert not bar.activity.isVisible()
    bar.clearMessage()
    assert bar.activity.isVisible()  # "Ready", or the title of a job a pane started meanwhile
