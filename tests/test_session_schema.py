"""Session files: what a valid one holds, and every kind of bad file is refused with a clear sentence."""
from __future__ import annotations

import json
import os

import pytest

from explorer.core.session_schema import (MAX_DEPTH, MAX_FILE_BYTES, SESSION_FORMAT, SESSION_VERSION, Session,
                                          SessionError, session_text, validate_session)
from tests.helpers import load_session_file

TEMPLATES = {
    "tokenizers": {"text": "a\nb"},
    "attention": {"text": "Sarah fed the cat", "layer": 3, "heads": [0, 1], "options": {"causal": True},
                  "model": None},
}


def good(**changes) -> dict:
    data = {"format": SESSION_FORMAT, "version": SESSION_VERSION, "current_pane": "attention", "font_scale": 1.5,
            "theme": "dark", "panes": {"tokenizers": {"text": "one\ntwo"},
                                       "attention": {"text": "it", "layer": 5, "heads": [2], "model": "smollm2",
                                                     "options": {"causal": False}}}}
    data.update(changes)
    return data


def write(tmp_path, content, name="s.json") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def refused(tmp_path, content) -> str:
    with pytest.raises(SessionError) as info:
        load_session_file(write(tmp_path, content), TEMPLATES)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_a_saved_session_reads_back_identically(tmp_path):
    session = Session(panes={"tokenizers": {"text": "héllo 🙂\nworld"}}, current_pane="tokenizers",
                      font_scale=1.75, theme="light", app_version="0.1.0")
    path = write(tmp_path, session_text(session))
    loaded = load_session_file(path, TEMPLATES)
    assert loaded == session


def test_a_valid_file_gives_its_panes_scale_and_theme(tmp_path):
    loaded = load_session_file(write(tmp_path, good()), TEMPLATES)
    assert loaded.current_pane == "attention"
    assert loaded.font_scale == 1.5 and loaded.theme == "dark"
    assert loaded.panes["attention"]["heads"] == [2]


def test_keys_a_pane_does_not_know_are_left_for_it_to_ignore(tmp_path):
    data = good()
    data["panes"]["tokenizers"]["added_in_a_later_version"] = {"x": 1}
    assert load_session_file(write(tmp_path, data), TEMPLATES).panes["tokenizers"]["text"] == "one\ntwo"


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a text file"),
    ("", "empty"),
    ("   \n", "empty"),
    ("{\"format\": \"llm-explorer-session\", \"version\": 1, \"panes\": {\"token", "cut off"),
    ("not json at all", "not valid JSON"),
    ("[1, 2, 3]", "not an LLM Explorer session"),
    ("{\"format\": \"something-else\", \"version\": 1, \"panes\": {}}", "not an LLM Explorer session"),
    ("{\"format\": \"llm-explorer-session\", \"version\": 1, \"font_scale\": NaN, \"panes\": {}}", "not valid JSON"),
])
def test_files_that_are_not_sessions_are_refused(tmp_path, content, words):
    assert words in refused(tmp_path, content)


def test_a_deeply_nested_file_is_refused(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    assert "nested" in refused(tmp_path, '{"format": "llm-explorer-session", "version": 1, "panes": {}, "x": '
                                        + deep + "}")
    moderately = good()
    value: object = "leaf"
    for _ in range(MAX_DEPTH + 5):
        value = {"k": value}
    moderately["panes"]["tokenizers"]["deep"] = value
    assert "nested" in refused(tmp_path, moderately)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(SessionError, match="at most 16 MiB") as info:
        load_session_file(path, TEMPLATES)
    assert "17" not in str(info.value).split("at most")[1]  # a 16 MiB limit is not "17 MB"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(SessionError, match=r"\(50 MiB\); a session file is at most 16 MiB"):
        load_session_file(path, TEMPLATES)


def test_a_huge_text_value_is_refused(tmp_path):
    data = good()
    data["panes"]["tokenizers"]["text"] = "x" * 4_000_001
    message = refused(tmp_path, data)
    assert "'panes / tokenizers / text'" in message and "0 to 4,000,000" in message


@pytest.mark.parametrize("change, words", [
    ({"version": 99}, "newer"),
    ({"version": "1"}, "version"),
    ({"panes": []}, "panes"),
    ({"panes": {"no-such-pane": {}}}, "no-such-pane"),
    ({"panes": {"tokenizers": "text"}}, "must be an object"),
    ({"current_pane": "nowhere"}, "current pane"),
    ({"font_scale": 40}, "text size"),
    ({"font_scale": True}, "text size"),
    ({"theme": "purple"}, "theme"),
])
def test_wrong_shapes_are_refused(tmp_path, change, words):
    assert words in refused(tmp_path, good(**change))


@pytest.mark.parametrize("pane, key, value, words", [
    ("tokenizers", "text", 42, "should be text"),
    ("attention", "layer", "five", "should be a number"),
    ("attention", "layer", True, "should be a number"),
    ("attention", "heads", "0,1", "should be a list"),
    ("attention", "heads", ["zero"], "list of a number"),
    ("attention", "options", {"causal": "yes"}, "should be true/false"),
])
def test_values_of_the_wrong_type_are_refused(tmp_path, pane, key, value, words):
    data = good()
    data["panes"][pane][key] = value
    message = refused(tmp_path, data)
    assert words in message and pane in message


def test_none_in_a_template_accepts_any_value(tmp_path):
    data = good()
    data["panes"]["attention"]["model"] = {"id": "smollm2"}
    assert load_session_file(write(tmp_path, data), TEMPLATES).panes["attention"]["model"] == {"id": "smollm2"}


def test_file_names_inside_a_session_must_be_plain_readable_files(tmp_path):
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    ok = good()
    ok["panes"]["tokenizers"]["image_path"] = str(image)
    assert load_session_file(write(tmp_path, ok), TEMPLATES).panes["tokenizers"]["image_path"] == str(image)
    for value, words in (("/dev/zero", "system file"), (str(tmp_path), "is a folder"),
                         ("../../etc/passwd", "full path"), (str(tmp_path / "gone.png"), "no longer exists"),
                         ("/etc/passwd\x00.png", "not valid")):
        data = good()
        data["panes"]["tokenizers"]["image_path"] = value
        assert words in refused(tmp_path, data), value


def test_lists_of_files_and_folders_are_checked_too(tmp_path):
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    ok = good()
    ok["panes"]["tokenizers"].update(files=[str(image)], search_folder=str(tmp_path))
    assert load_session_file(write(tmp_path, ok), TEMPLATES).panes["tokenizers"]["files"] == [str(image)]
    for change, words in (({"files": [str(image), "/dev/zero"]}, "system file"),
                          ({"search_folder": str(image)}, "not a folder"),
                          ({"search_folder": "relative/dir"}, "full path")):
        data = good()
        data["panes"]["tokenizers"].update(change)
        assert words in refused(tmp_path, data), change


def test_something_that_is_not_a_file_is_refused(tmp_path):
    with pytest.raises(SessionError, match="not a session file"):
        load_session_file(tmp_path, TEMPLATES)
    with pytest.raises(SessionError, match="does not exist"):
        load_session_file(tmp_path / "missing.json", TEMPLATES)
    if os.path.exists("/dev/zero"):
        with pytest.raises(SessionError, match="not a session file"):
            load_session_file("/dev/zero", TEMPLATES)


def test_validate_accepts_every_template_as_its_own_state():
    data = {"format": SESSION_FORMAT, "version": 1, "panes": json.loads(json.dumps(TEMPLATES))}
    assert validate_session(data, TEMPLATES).panes == TEMPLATES
