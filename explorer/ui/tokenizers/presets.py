"""The tokenizer lab's example texts: the lecture's line, code, long numbers, other scripts, one sentence."""
from __future__ import annotations

LECTURE_TEXT = ("\nEnglish and CAPITALIZATION\n🎵 鸟\nshow_tokens False None elif == >= else: two tabs:\"    \" "
                "Three tabs: \"       \"\n12.0*50=600\n")
PRESETS: dict[str, str] = {
    "lecture": LECTURE_TEXT,
    "code": ("def count_tokens(text: str, limit: int = 4096) -> int:\n"
             "    \"\"\"Return how many tokens `text` costs.\"\"\"\n"
             "    if not text:\n"
             "\treturn 0  # a tab-indented line\n"
             "    tokens = [t for t in text.split() if t != \"\"]\n"
             "    return min(len(tokens), limit)  # TODO: use a real tokenizer!\n"),
    "numbers": ("12.0*50=600\n"
                "3.14159265358979323846264338327950288419716939937510\n"
                "1234567890 + 9876543210 = 11111111100\n"
                "2024-11-26 09:45:00, $1,299.99, 0.000001, 1e-9, 0x7FFF\n"
                "1 22 333 4444 55555 666666 7777777\n"),
    "scripts": ("English: Hello, world!\n"
                "Deutsch: Grüß Gott, schöne Straße\n"
                "Русский: Привет, мир\n"
                "Ελληνικά: Γειά σου κόσμε\n"
                "العربية: مرحبا بالعالم\n"
                "עברית: שלום עולם\n"
                "中文: 你好，世界\n"
                "日本語: こんにちは世界\n"
                "한국어: 안녕하세요 세계\n"
                "Emoji: 👩‍💻 🇺🇦 👍🏽\n"),
    "bards": "Have the bards who preceded me left any theme unsung?",
}
PRESET_TITLES = {"lecture": "Lecture text", "code": "Code", "numbers": "Long numbers", "scripts": "Other scripts",
                 "bards": "The bards"}
