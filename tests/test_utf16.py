"""Python indices <-> Qt's UTF-16 positions, without Qt: the tokenizer lab's highlight and cursor rely on it."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from explorer.core.utf16 import Utf16Positions


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_an_emoji_counts_twice_after_it_and_once_before():
    text = "a🎵b鸟c"
    positions = Utf16Positions(text)
    assert [positions.to_utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 5, 6]
    assert [positions.to_index(p) for p in range(7)] == [0, 1, 1, 2, 3, 4, 5]  # 2 is inside the emoji's pair


def test_plain_text_maps_to_itself_and_out_of_range_is_clamped():
    positions = Utf16Positions("hello")
    assert positions.to_utf16(3) == 3 and positions.to_index(3) == 3
    assert positions.to_utf16(-4) == 0 and positions.to_utf16(99) == 5
    assert positions.to_index(-1) == 0 and positions.to_index(99) == 5
    assert Utf16Positions("").to_utf16(0) == 0 and Utf16Positions("").to_index(3) == 0


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_every_index_agrees_with_the_utf16_encoding_and_comes_back(text):
    positions = Utf16Positions(text)
    for i in range(len(text) + 1):
        position = positions.to_utf16(i)
        assert position == utf16_length(text[:i])
        assert positions.to_index(position) == i
    # any position, even one inside a surrogate pair, maps to the character that holds it
    for position in range(utf16_length(text) + 1):
        decoded = text.encode("utf-16-le")[:position * 2].decode("utf-16-le", errors="ignore")
        assert positions.to_index(position) == len(decoded)
