"""Hostile and random session files fed to the loader (no Qt): a clear refusal or a session, nothing else.

Every refusal is one line; a number or list out of range is refused with the field's name and the range
allowed; no file the session names is ever opened by the loader (only stat() is called), and the
special files (/proc, /dev, FIFOs, sockets) are refused wherever a path is accepted.
"""
from __future__ import annotations

import builtins
import io
import json
import os
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.session_schema import (FLOAT_LIMIT, INT_RANGE, LIST_LIMITS, MAX_FILE_BYTES, MAX_LIST_ITEMS,
                                          MAX_TRAINED_TOKENIZERS, SESSION_FORMAT, Session, SessionError,
                                          check_paths, validate_session, without_paths)
from tests.helpers import load_session_file

# the shapes the real panes save (see each pane's state()), enough for the loader's type checks
TEMPLATES = {
    "tokenizers": {"text": "", "tokenizers": ["gpt2"], "show_ids": False, "break_lines": False, "trained": [],
                   "train_form": {"algorithm": "bpe", "vocab_size": 1000}},
    "attention": {"model": "smollm2", "text": "", "tab": "heads", "layer": 0, "head": 0, "query": -1, "key": 0},
    "image-text": {"tab": "similarity", "model": "mini-clip", "image_source": "shapes", "files": [],
                   "search_source": "shapes", "search_folder": "", "steps": 1000},
    "embeddings": {"tab": "neighbours", "projector": {"source": "glove", "text": "", "vectors": "", "metadata": "",
                                                      "projection": {"k": 10, "perplexity": 30.0}}},
}
HOSTILE_PATHS = ["/proc/self/environ", "/dev/zero", "/dev/stdin", "/sys/kernel", "/proc", "/"]
PATH_FIELDS = [("tokenizers", ("trained", 0, "file")), ("image-text", ("files", 0)),
               ("image-text", ("search_folder",)), ("embeddings", ("projector", "vectors")),
               ("tokenizers", ("tokenizers", 0))]


def session(**panes) -> dict:
    return {"format": SESSION_FORMAT, "version": 1, "panes": panes}


def one_line_refusal(data) -> str:
    with pytest.raises(SessionError) as info:
        validate_session(data, TEMPLATES)
    message = str(info.value)
    assert message.strip() and "\n" not in message and "Traceback" not in message
    return message


def put(data: dict, pane: str, keys: tuple, value) -> dict:
    """data["panes"][pane][k1][k2]... = value, creating lists and objects on the way."""
    node = data["panes"].setdefault(pane, {})
    for key, following in zip(keys, keys[1:]):
        if isinstance(key, int):
            while len(node) <= key:
                node.append({} if isinstance(following, str) else [])
            node = node[key]
        else:
            node = node.setdefault(key, [] if isinstance(following, int) else {})
    last = keys[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value
    return data


@pytest.fixture
def opened(monkeypatch):
    """Every file name passed to open() while the test runs."""
    names: list[str] = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        names.append(os.fspath(file) if isinstance(file, (str, os.PathLike)) else repr(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(builtins, "open", spy)
    return names


# --- random values anywhere ---
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(pane=st.sampled_from(sorted(TEMPLATES)), key=st.text(max_size=12) | st.sampled_from(
    ["text", "tokenizers", "trained", "train_form", "layer", "files", "search_folder", "projector", "steps"]),
       value=json_values)
def test_any_value_under_any_key_is_a_session_or_a_one_line_refusal(pane, key, value):
    data = session(**{pane: {key: value}})
    try:
        loaded = validate_session(data, TEMPLATES)
    except SessionError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
    else:
        assert isinstance(loaded, Session)


@settings(max_examples=200, deadline=None)
@given(data=json_values)
def test_any_top_level_value_is_refused_or_read(data):
    try:
        validate_session(data, TEMPLATES)
    except SessionError as exc:
        assert str(exc).strip() and "\n" not in str(exc)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_in_a_file_are_refused_or_read(tmp_path, raw):
    path = tmp_path / "s.json"
    path.write_bytes(raw)
    try:
        load_session_file(path, TEMPLATES)
    except SessionError as exc:
        assert str(exc).strip() and "\n" not in str(exc)


# --- numbers and lists: the field and the range ---
@settings(max_examples=100, deadline=None)
@given(value=st.integers().filter(lambda n: not INT_RANGE[0] <= n <= INT_RANGE[1]),
       where=st.sampled_from([("attention", ("layer",)), ("tokenizers", ("train_form", "vocab_size")),
                              ("embeddings", ("projector", "projection", "k")), ("image-text", ("steps",))]))
def test_a_number_out_of_range_names_its_field_and_the_range(value, where):
    pane, keys = where
    message = one_line_refusal(put(session(), pane, keys, value))
    assert f"'{' / '.join(keys)}'" in message and f"pane '{pane}'" in message
    assert f"{INT_RANGE[0]:,}" in message and f"{INT_RANGE[1]:,}" in message
    assert len(message) < 400, "a 4,000-digit number is not printed whole"


@pytest.mark.parametrize("value", [1e300, -1e13, float("inf"), float("-inf"), float("nan")])
def test_a_fraction_out_of_range_names_its_field_and_the_range(value):
    data = put(session(), "embeddings", ("projector", "projection", "perplexity"), value)
    message = one_line_refusal(data)
    assert "'projector / projection / perplexity'" in message and f"{FLOAT_LIMIT:,.0f}" in message


def test_huge_numbers_in_the_file_itself_are_refused_by_name(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"format": "llm-explorer-session", "version": 1, "panes": {"attention": {"layer": '
                    + "9" * 3000 + "}}}", encoding="utf-8")
    with pytest.raises(SessionError, match=r"'layer'.*2,147,483,647"):
        load_session_file(path, TEMPLATES)
    path.write_text('{"format": "llm-explorer-session", "version": 1, "panes": {"embeddings": {"projector": '
                    '{"projection": {"perplexity": 1e999}}}}}', encoding="utf-8")
    with pytest.raises(SessionError, match="perplexity"):
        load_session_file(path, TEMPLATES)


@pytest.mark.parametrize("version", [0, -1, 10**40, 2.5, None, "1"])
def test_a_bad_version_names_the_field_and_what_is_read(version):
    message = one_line_refusal({"format": SESSION_FORMAT, "version": version, "panes": {}})
    assert "'version'" in message and "1" in message
    assert len(message) < 300


def test_202_trained_tokenizers_are_refused_with_the_limit():
    spec = {"algorithm": "bpe", "vocab_size": 500, "training_text": "a b c"}
    message = one_line_refusal(session(tokenizers={"trained": [spec] * 202}))
    assert "'trained'" in message and "202" in message and f"0 to {MAX_TRAINED_TOKENIZERS}" in message
    assert validate_session(session(tokenizers={"trained": [spec] * MAX_TRAINED_TOKENIZERS}), TEMPLATES)


@pytest.mark.parametrize("where", sorted(LIST_LIMITS))
def test_every_named_list_limit_holds(where):
    pane, key = where
    limit = LIST_LIMITS[where]
    message = one_line_refusal(session(**{pane: {key: ["x"] * (limit + 1)}}))
    assert f"'{key}'" in message and f"0 to {limit:,}" in message


def test_any_other_list_is_bounded_too():
    message = one_line_refusal(session(attention={"anything": [0] * (MAX_LIST_ITEMS + 1)}))
    assert "'anything'" in message and f"0 to {MAX_LIST_ITEMS:,}" in message


# --- paths ---
@pytest.mark.parametrize("target", HOSTILE_PATHS)
@pytest.mark.parametrize("pane, keys", PATH_FIELDS)
def test_system_files_are_refused_in_every_path_field(target, pane, keys, opened):
    data = put(session(), pane, keys, target)
    if pane == "tokenizers" and "trained" in keys:
        data["panes"]["tokenizers"]["trained"][0].update(algorithm="bpe", vocab_size=500)
    if target == "/" and keys in (("search_folder",), ("tokenizers", 0)):
        # the whole disk is a folder like any other: accepted, but only listed for the user to confirm
        # (and a folder scan never enters /proc, /dev, /sys: tests/test_image_io.py)
        assert [p.path for p in validate_session(data, TEMPLATES).paths] == ["/"]
        assert opened == []
        return
    message = one_line_refusal(data)
    assert any(words in message for words in ("system file", "not a folder", "is a folder")), message
    assert opened == [], "the loader opened a file the session names"


@pytest.mark.parametrize("make", ["fifo", "socket", "folder"])
def test_pipes_sockets_and_folders_are_refused_as_files(tmp_path, make, opened):
    target = tmp_path / f"thing.{make}.png"
    sock = None
    if make == "fifo":
        os.mkfifo(target)
    elif make == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    else:
        target.mkdir()
    try:
        message = one_line_refusal(session(**{"image-text": {"files": [str(target)]}}))
    finally:
        if sock:
            sock.close()
    assert {"fifo": "named pipe", "socket": "socket", "folder": "is a folder"}[make] in message
    assert opened == []


def test_a_valid_session_lists_its_paths_and_opens_only_itself(tmp_path, opened):
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("some text to train on")
    data = session(**{"image-text": {"files": [str(image)], "search_source": "folder",
                                     "search_folder": str(tmp_path)},
                      "tokenizers": {"tokenizers": ["gpt2", str(tmp_path)],
                                     "trained": [{"algorithm": "bpe", "vocab_size": 500, "file": str(corpus)}]}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    opened.clear()
    loaded = load_session_file(path, TEMPLATES)
    assert opened == [str(path)], "only the session file itself is read"
    assert sorted((p.field, p.path) for p in loaded.paths) == sorted([
        ("image-text / files", str(image)), ("image-text / search_folder", str(tmp_path)),
        ("tokenizers / tokenizers", str(tmp_path)), ("tokenizers / trained / file", str(corpus))])
    bare = without_paths(loaded)
    assert bare.paths == () and bare.panes["image-text"]["files"] == []
    assert bare.panes["image-text"]["search_folder"] == "" and bare.panes["tokenizers"]["tokenizers"] == ["gpt2"]
    assert bare.panes["tokenizers"]["trained"][0]["file"] == ""
    assert all(check_paths(state, name, name) == [] for name, state in bare.panes.items())


def test_a_50_mb_session_is_refused_unread_with_its_size_in_mib(tmp_path, opened):
    path = tmp_path / "big.json"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    opened.clear()
    with pytest.raises(SessionError) as info:
        load_session_file(path, TEMPLATES)
    assert opened == []
    assert f"at most {MAX_FILE_BYTES // 2**20} MiB" in str(info.value) and "(50 MiB)" in str(info.value)


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero", "/dev/stdin", "/"])
def test_the_session_file_itself_cannot_be_a_system_file(target, opened):
    with pytest.raises(SessionError):
        load_session_file(target, TEMPLATES)
    assert opened == []


def test_a_fifo_as_the_session_file_is_refused_without_blocking(tmp_path, opened):
    fifo = tmp_path / "s.json"
    os.mkfifo(fifo)
    with pytest.raises(SessionError, match="named pipe"):
        load_session_file(fifo, TEMPLATES)
    assert opened == []


def test_deep_nesting_and_invalid_utf8_are_one_line_refusals(tmp_path):
    for raw in (b'{"a": ' * 5000 + b"1" + b"}" * 5000, b'{"format": "llm-explorer-session\xff"}',
                b"\xef\xbb\xbf" + b"[" * 200_000, b"not json"):
        path = tmp_path / "s.json"
        path.write_bytes(raw)
        with pytest.raises(SessionError) as info:
            load_session_file(path, TEMPLATES)
        assert "\n" not in str(info.value)
