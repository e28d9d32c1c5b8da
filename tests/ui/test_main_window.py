"""The main window: panes in the sidebar, the device in the status bar, preferences that persist."""
from tests.helpers import app_window


def test_every_discovered_pane_is_listed_and_opens(main_window, qtbot):
    titles = [main_window.sidebar.item(i).text() for i in range(main_window.sidebar.count())]
    assert "Tokenizers" in titles and "Embeddings" in titles
    # sentence cosines live in the Embeddings pane's Sentences tab: one sidebar entry per idea
    assert "Sentence similarity" not in titles
    assert len(titles) == len(main_window.pane_ids())
    pane = main_window.show_pane("tokenizers")
    assert main_window.current_pane() is pane


def test_the_pane_list_names_each_panes_own_id_and_title():
    from explorer.ui.pane_list import PANES

    for spec in PANES:
        cls = spec.load()
        assert (cls.pane_id, cls.title) == (spec.pane_id, spec.title), spec.module


def test_status_bar_names_the_compute_device(main_window, qtbot):
    qtbot.waitUntil(lambda: "CPU" in main_window.status.device.text() or "GPU" in main_window.status.device.text(),
                    timeout=60_000)


def test_force_cpu_is_remembered_between_runs(qtbot, settings_file):
    with app_window(qtbot, show=False) as first:
        first.device_cpu.trigger()
        qtbot.waitUntil(lambda: first.engine.device_label == "CPU", timeout=60_000)
    with app_window(qtbot, show=False) as second:
        assert second.device_cpu.isChecked() and not second.device_auto.isChecked()


def test_font_scale_last_pane_and_geometry_persist(qtbot, settings_file):
    with app_window(qtbot) as first:
        first.resize(700, 520)  # the offscreen screen is 800x600
        first.step_font_scale(+1)
        scale = first.font_scale
        assert scale > 1.0
        first.show_pane(first.pane_ids()[-1])
    try:
        with app_window(qtbot) as second:
            assert second.font_scale == scale
            assert (second.size().width(), second.size().height()) == (700, 520)
            qtbot.waitUntil(lambda: second.current_pane() is not None, timeout=10_000)
            assert second.current_pane().pane_id == first.pane_ids()[-1]
    finally:
        second.set_font_scale(1.0)  # the application font is shared with later tests


def test_panes_are_built_only_when_shown(main_window, qtbot):
    qtbot.waitUntil(lambda: main_window.current_pane() is not None, timeout=10_000)
    built = {p.pane_id for p in main_window.built_panes()}
    assert built == {main_window.current_pane().pane_id}


def test_the_window_fits_a_1280x720_projector_with_every_pane_open(main_window, qtbot):
    # a pane wider or taller than the window scrolls instead of pushing the window off the screen
    for pane_id in main_window.pane_ids():
        main_window.show_pane(pane_id)
        qtbot.waitUntil(lambda: main_window.current_pane() is not None
                        and main_window.current_pane().pane_id == pane_id, timeout=20_000)
        minimum = main_window.minimumSizeHint()
        assert minimum.width() <= 1280 and minimum.height() <= 720, (pane_id, minimum)


def test_a_sliver_of_a_saved_geometry_is_replaced_by_a_usable_size(qtbot, settings_file):
    from PySide6.QtCore import QSettings

    with app_window(qtbot) as first:
        first.resize(300, 120)  # e.g. saved on another screen
    with app_window(qtbot) as second:
        assert QSettings(str(settings_file), QSettings.Format.IniFormat).value("window/geometry") is not None
        available = second.screen().availableGeometry()
        assert second.width() >= min(1400, available.width() * 92 // 100) * 2 // 3
        assert second.height() >= min(900, available.height() * 92 // 100) * 2 // 3
