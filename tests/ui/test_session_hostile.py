"""Crafted sessions opened in the real window: inputs come back, nothing starts and nothing is read unasked.

A session file is data: it never trains, indexes or downloads by itself, and the files it names are
listed for the user ("Use these files" / "Leave them out") before any pane reads them.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import wait_for_jobs
from tests.helpers import open_session

HUB_TOKENIZER = "someone-else/a-tokenizer-from-the-hub"
# jobs a session must never start by itself
FORBIDDEN = ("tokenizers.train", "image-text.search-index", "image-text.images", "image-text.train",
             f"tokenizers.load:{HUB_TOKENIZER}")


@pytest.fixture
def jobs(main_window, monkeypatch):
    """The owner of every job submitted to the window's engine."""
    owners: list[str] = []
    engine = main_window.engine
    real_submit = engine.submit

    def submit(fn, *args, owner: str = "", **kwargs):
        owners.append(owner)
        return real_submit(fn, *args, owner=owner, **kwargs)

    monkeypatch.setattr(engine, "submit", submit)
    return owners


def write_session(tmp_path, panes: dict, name: str = "crafted.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"format": "llm-explorer-session", "version": 1, "current_pane": "tokenizers",
                                "panes": panes}), encoding="utf-8")
    return path


def started(owners: list[str]) -> list[str]:
    return [o for o in owners if o.startswith(FORBIDDEN)]


def press(box, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text() == text]
    button.click()


def test_a_crafted_session_starts_nothing_and_asks_before_reading_its_files(main_window, qtbot, tmp_path, jobs):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat " * 50)
    photos = tmp_path / "photos"
    photos.mkdir()
    spec = {"algorithm": "bpe", "vocab_size": 300, "training_text": "low lower lowest " * 40}
    path = write_session(tmp_path, {
        "tokenizers": {"text": "Restored text", "tokenizers": ["gpt2", HUB_TOKENIZER],
                       "trained": [spec] * 7 + [{"algorithm": "bpe", "vocab_size": 300, "file": str(corpus)}]},
        "image-text": {"search_source": "folder", "search_folder": str(photos), "tab": "search"},
    })
    try:
        assert open_session(qtbot, main_window, path), main_window.last_message
        pane = main_window.panes["tokenizers"]
        qtbot.wait(50)
        assert pane.editor.toPlainText() == "Restored text"
        assert started(jobs) == [], "opening a session started work by itself"
        # the files are listed for the user, not read
        box = main_window.session_paths_box
        assert str(corpus) in box.text() and str(photos) in box.text()
        press(box, "Leave them out")
        assert main_window.session_paths_box is None
        # the trained tokenizers are listed with a button; the corpus file was left out, the texts stay
        assert pane.training.retrain_button.isVisibleTo(pane)
        assert "8 tokenizers trained here" in pane.training.train_status.text()
        assert str(corpus) not in pane.training.train_status.text()
        # the Hub tokenizer waits for its Download button
        row = pane.row(HUB_TOKENIZER)
        assert row.state == "waiting" and row.retry_button.text() == "Download"
        image_text = main_window.show_pane("image-text")
        assert image_text.search_folder == "" and not image_text.search.index_folder_button.isVisibleTo(image_text)
        assert started(jobs) == []

        # the same file again, this time the user lets it use its files: still nothing starts
        assert open_session(qtbot, main_window, path)
        press(main_window.session_paths_box, "Use these files")
        main_window.show_pane("tokenizers")
        assert str(corpus) in pane.training.train_status.text()
        assert image_text.search_folder == str(photos)
        assert image_text.search.index_folder_button.isVisibleTo(image_text)
        main_window.show_pane("image-text")
        image_text.tabs.setCurrentWidget(image_text.search)
        qtbot.wait(50)
        assert started(jobs) == [], "a confirmed folder is still indexed only on a press"

        # the user's presses start the work
        image_text.search.index_folder_button.click()
        assert "image-text.search-index" in jobs
        pane.training.retrain_button.click()
        assert sum(o.startswith("tokenizers.train") for o in jobs) == 8
        assert not pane.training.retrain_button.isVisibleTo(pane)
        pane.row(HUB_TOKENIZER).retry_button.click()
        assert f"tokenizers.load:{HUB_TOKENIZER}" in jobs
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


@pytest.mark.parametrize("panes, words", [
    ({"tokenizers": {"trained": [{"algorithm": "bpe", "vocab_size": 300, "training_text": "x"}] * 202}},
     ["'trained'", "202", "0 to 8"]),
    ({"tokenizers": {"trained": [{"algorithm": "bpe", "vocab_size": 300, "file": "/proc/self/environ"}]}},
     ["system file", "/proc/self/environ"]),
    ({"embeddings": {"projector": {"projection": {"k": 10**30}}}}, ["'projector / projection / k'", "2,147,483,647"]),
    ({"attention": {"layer": -10**20}}, ["'layer'", "-2,147,483,648"]),
    ({"image-text": {"search_source": "folder", "search_folder": "/proc"}}, ["system file", "search_folder"]),
    ({"image-text": {"files": ["/dev/zero"]}}, ["system file", "files"]),
])
def test_hostile_sessions_are_refused_naming_the_field_and_change_nothing(main_window, qtbot, tmp_path, jobs,
                                                                          panes, words):
    tokenizers = main_window.show_pane("tokenizers")
    tokenizers.editor.setPlainText("Kept")
    try:
        assert open_session(qtbot, main_window, write_session(tmp_path, panes)) is False
        message = main_window.last_message
        assert all(w in message for w in words), message
        assert "()" not in message and "\n" not in message
        assert tokenizers.editor.toPlainText() == "Kept"
        assert started(jobs) == []
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


def test_a_pane_failing_without_a_reason_is_still_named(main_window, qtbot, tmp_path, monkeypatch):
    """Qt's OverflowError has no text: the refusal said "could not be applied ()"."""
    pane = main_window.show_pane("tokenizers")

    def fails(self, state):
        raise OverflowError()

    monkeypatch.setattr(type(pane), "restore_state", fails)
    try:
        path = write_session(tmp_path, {"tokenizers": {"text": "x"}})
        assert open_session(qtbot, main_window, path) is False
        message = main_window.last_message
        assert "()" not in message and "pane 'tokenizers'" in message and "OverflowError" in message
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


def test_a_session_naming_a_hub_model_waits_for_run(main_window, qtbot, tmp_path, jobs):
    path = write_session(tmp_path, {"attention": {"model": "someone-else/a-model-from-the-hub", "text": "Hi there"}})
    try:
        assert open_session(qtbot, main_window, path), main_window.last_message
        pane = main_window.show_pane("attention")
        qtbot.wait(600)  # past the text box's debounce
        assert "attention.main" not in jobs, "the session started a download"
        assert pane.message.isVisible() and "press Run" in pane.message.text()
        pane.run_button.click()
        assert "attention.main" in jobs
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


def _leaves(state, keys=()):
    """(key path, value) of every leaf in a pane's state."""
    if isinstance(state, dict):
        for k, v in state.items():
            yield from _leaves(v, (*keys, k))
    else:
        yield keys, state


def test_random_values_in_every_real_setting_open_or_are_refused_cleanly(main_window, qtbot, tmp_path, jobs):
    """Each real pane's own settings, one leaf at a time replaced by a hostile value of the same JSON type
    (or another type): the window opens it or refuses it with a reason; it never raises or starts work."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from explorer.core.session_schema import INT_RANGE
    from explorer.ui.session import pane_templates

    for pane_id in main_window.pane_ids():
        main_window.show_pane(pane_id)
    main_window.engine.cancel(None)
    wait_for_jobs(qtbot, main_window.engine)
    templates = pane_templates(main_window)
    image_text = main_window.panes["image-text"]
    read: list = []
    image_text.add_files = read.append  # user files opened (bundled samples may load: they are the defaults)
    jobs.clear()
    leaves = [(pane, keys) for pane, state in templates.items() for keys, _ in _leaves(state) if keys]
    hostile = (st.integers(INT_RANGE[0], INT_RANGE[1]) | st.sampled_from([INT_RANGE[0], INT_RANGE[1], -1, 0, 10**30])
               | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
               | st.text(max_size=30) | st.sampled_from(["", "/proc/self/environ", "/", "\x00", "..", "a" * 5000])
               | st.lists(st.integers(-5, 5) | st.text(max_size=5), max_size=5) | st.booleans() | st.none())
    counter = iter(range(10**6))

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(leaf=st.sampled_from(leaves), value=hostile)
    def opens_or_refuses(leaf, value):
        pane, keys = leaf
        state = json.loads(json.dumps(templates[pane]))
        node = state
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        path = write_session(tmp_path, {pane: state}, f"s{next(counter)}.json")
        main_window.last_message = ""
        opened = open_session(qtbot, main_window, path)
        box = getattr(main_window, "session_paths_box", None)
        if box is not None:
            press(box, "Leave them out")
        if not opened:
            message = main_window.last_message
            assert message and "()" not in message and "\n" not in message, message
        assert [o for o in started(jobs) if o != "image-text.images"] == [] and read == [], (leaf, value)
        main_window.engine.cancel(None)

    try:
        opens_or_refuses()
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


@pytest.mark.parametrize("state, words", [
    ({"layer": 10**30}, ["'layer'", "2,147,483,647"]),
    ({"trained": [{"algorithm": "bpe", "vocab_size": 300, "training_text": "x"}] * 50}, ["'trained'", "0 to 8"]),
    ({"files": ["/dev/zero"]}, ["system file"]),
    ({"tokenizers": ["/proc"]}, ["system file"]),
])
def test_a_scene_file_is_held_to_the_same_limits_as_a_session(state, words):
    from explorer.ui.scenes import SceneError, parse_scenes

    deck = {"format": "llm-explorer-scenes", "version": 1, "title": "t",
            "scenes": [{"title": "a", "pane": "tokenizers", "state": state}]}
    with pytest.raises(SceneError) as info:
        parse_scenes(deck)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_a_relative_tokenizer_name_in_a_session_never_reads_a_folder_here(main_window, qtbot, tmp_path,
                                                                         monkeypatch, jobs):
    """Only full paths are listed for confirmation: a relative name must not load a folder of the current
    directory."""
    (tmp_path / "mytok").mkdir()
    (tmp_path / "mytok" / "tokenizer.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    path = write_session(tmp_path, {"tokenizers": {"tokenizers": ["gpt2", "mytok"]}})
    try:
        assert open_session(qtbot, main_window, path), main_window.last_message
        pane = main_window.panes["tokenizers"]
        assert pane.row_keys() == ["gpt2"]
        assert getattr(main_window, "session_paths_box", None) is None
        assert not any("mytok" in o for o in jobs)
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)
