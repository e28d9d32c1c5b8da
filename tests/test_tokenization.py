"""Every offline tokenizer gives exactly the reference library's ids, and spans a user can trust.

References: tiktoken's `encode_ordinary` / `decode_with_offsets`, the
`tokenizers` library's own encode and offsets, SentencePiece's own encode and
offset mapping. The wrappers are loaded through the app's loader; the
references are built here straight from the same files, without the app's code:
tiktoken's own `load_tiktoken_bpe` (with OpenAI's published sha256) and the split
patterns and special tokens as published in tiktoken's `tiktoken_ext/openai_public.py`.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from explorer.core.tokenization import FLAG_PARTIAL, FLAG_PREFIX, FLAG_SPECIAL, FLAG_UNKNOWN, visible_whitespace
from explorer.core.tokenizer_wrappers import HFTokenizer, SentencePieceTokenizer, TiktokenTokenizer
from explorer.core.tokenizer_training import TrainingError, TrainingSettings, train_tokenizer
from explorer.models import catalogue, paths
from explorer.models.tokenizer_loader import (has_token_embeddings, load_tokenizer_entry, resolve_tokenizer,
                                              token_embedding_row)

OFFLINE = [e.id for e in catalogue.entries("tokenizer") if e.offline]
BYTE_LEVEL = ("gpt2", "gpt-4", "gpt-4o", "smollm2")

LECTURE = ("\nEnglish and CAPITALIZATION\n🎵 鸟\nshow_tokens False None elif == >= else: two tabs:\"    \" "
           "Three tabs: \"       \"\n12.0*50=600\n")
HARD_INPUTS = {
    "lecture": LECTURE,
    "zwj emoji": "Family 👩‍👩‍👧‍👦, thumbs 👍🏽, rainbow flag 🏳️‍🌈, cook 🧑🏿‍🍳!",
    "flags": "🇫🇷🇯🇵🇺🇦 and 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "cjk": "我爱自然语言处理。日本語のテキストです、한국어 텍스트",
    "right to left": "مرحبا بالعالم! שָׁלוֹם עוֹלָם 123",
    "combining marks": "e\u0301 a\u0308 n\u0303 नमस्ते Z\u0351\u036b\u0343\u036a\u0302A\u0334\u0335L\u0360G\u0334",
    "tabs and crlf": "a\tb\t\tc\r\nd\r\n\r\n\te\u00a0f\u3000g",
    "long numbers": "3.14159265358979323846264338327950288419716939937510 1234567890123456789012345678901234567890 "
                    "-0.000001 1e-9 0x7FFF 1,299.99",
    "code": "def fizz(n: int) -> str:\n    if n % 15 == 0:\n\treturn \"FizzBuzz\"  # tab\n    return f'{n!r}'\n",
    "leading and trailing spaces": "   padded text   ",
    "one character": "a",
    "one emoji": "🎵",
    "empty": "",
    "special-looking text": "<|endoftext|> [CLS] <s> </s> <unk>",
}


# As published in tiktoken's tiktoken_ext/openai_public.py: (split pattern, sha256 of the rank file, special tokens)
_R50K_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PATTERN = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
                   r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s""")
_O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
PUBLISHED_TIKTOKEN = {
    "r50k_base": (_R50K_PATTERN, "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
                  {"<|endoftext|>": 50256}),
    "cl100k_base": (_CL100K_PATTERN, "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
                    {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                     "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}),
    "o200k_base": (_O200K_PATTERN, "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
                   {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
}


def published_tiktoken(name: str, folder: Path):
    """tiktoken's own Encoding from the vendored rank file, built as tiktoken_ext/openai_public.py builds it."""
    import gzip

    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    pattern, sha256, special = PUBLISHED_TIKTOKEN[name]
    plain = folder / f"{name}.tiktoken"  # the rank file as OpenAI publishes it: the vendored copy is gzipped
    plain.write_bytes(gzip.decompress((paths.tiktoken_dir() / f"{name}.tiktoken.gz").read_bytes()))
    # load_tiktoken_bpe refuses a file whose sha256 is not OpenAI's
    ranks = load_tiktoken_bpe(str(plain), expected_hash=sha256)
    return tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)


@pytest.fixture(scope="module")
def tokenizers():
    return {tid: load_tokenizer_entry(catalogue.find(tid, "tokenizer")).model for tid in OFFLINE}


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The libraries themselves, opened on the same files as the app's loaders."""
    import sentencepiece
    from tokenizers import Tokenizer

    from explorer.models import smollm2

    folder = tmp_path_factory.mktemp("tiktoken")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(folder / "cache"))  # tiktoken's file cache: not in the user's /tmp
        refs = {tid: published_tiktoken(name, folder) for tid, name in
                (("gpt2", "r50k_base"), ("gpt-4", "cl100k_base"), ("gpt-4o", "o200k_base"))}
    for tid, path in (("bert-base-uncased", paths.minilm_dir() / "tokenizer.json"),
                      ("smollm2", smollm2.converted_dir() / "tokenizer.json")):
        tok = Tokenizer.from_file(str(path))
        tok.no_padding()
        tok.no_truncation()
        refs[tid] = tok
    refs["mistral"] = sentencepiece.SentencePieceProcessor(model_file=str(paths.mistral_file("tokenizer.model.v1")))
    return refs


@pytest.fixture(scope="module")
def megabyte():
    pieces = [v for k, v in HARD_INPUTS.items() if k != "empty"]
    text = "\n".join(pieces) * (1_000_000 // sum(len(p) + 1 for p in pieces) + 1)
    return text[:1_000_000]


def reference_tokens(tid: str, ref, text: str) -> tuple[list[int], list[tuple[int, int]] | None]:
    """(ids, spans) as the library gives them; spans follow the library's own conventions."""
    if tid in ("gpt2", "gpt-4", "gpt-4o"):
        ids = ref.encode_ordinary(text)
        _, starts = ref.decode_with_offsets(ids)
        return ids, [(s, -1) for s in starts]
    if tid in ("bert-base-uncased", "smollm2"):
        enc = ref.encode(text)
        return enc.ids, list(enc.offsets)
    mapping = ref.encode_as_offset_mapping(text)
    ids = [ref.bos_id()] + list(mapping["ids"])
    spans = [(0, 0)] + [tuple(o) for o in mapping["offsets"]]
    # SentencePiece gives all but the last byte piece of a character an empty span: widen them to the character
    for i in range(len(spans) - 2, 0, -1):
        if ref.is_byte(ids[i]) and spans[i][0] == spans[i][1] and ref.is_byte(ids[i + 1]):
            spans[i] = spans[i + 1]
    return ids, spans


def check_against_reference(tid, tokenizer, ref, text):
    result = tokenizer.tokenize(text)
    ref_ids, ref_spans = reference_tokens(tid, ref, text)
    assert result.ids.tolist() == list(ref_ids)
    starts, ends = result.starts, result.ends
    if tid in ("gpt2", "gpt-4", "gpt-4o"):
        # tiktoken's decode_with_offsets gives each token's first character, partial bytes included
        assert starts.tolist() == [s for s, _ in ref_spans]
        return result
    ref = np.asarray(ref_spans, dtype=np.int64).reshape(-1, 2)
    added = ((result.flags & FLAG_SPECIAL) != 0) & (ref[:, 0] == ref[:, 1])
    prefix = (result.flags & FLAG_PREFIX) != 0
    assert np.all(starts[added] == ends[added]), "a special token the tokenizer added covers no character"
    assert np.all((starts[prefix] == 0) & (ends[prefix] == 0) & (ref[prefix, 0] <= 1))
    rest = ~added & ~prefix
    mismatch = np.flatnonzero(rest & ((starts != ref[:, 0]) | (ends != ref[:, 1])))
    assert mismatch.size == 0, [(int(i), result.token_text(int(i)), ref_spans[int(i)]) for i in mismatch[:5]]
    return result


def check_invariants(tid, result):
    text = result.text
    starts, ends = result.starts, result.ends
    assert np.all(np.diff(starts) >= 0) and np.all(np.diff(ends) >= 0), "spans are in text order"
    assert np.all(starts <= ends) and (len(result) == 0 or (starts.min() >= 0 and ends.max() <= len(text)))
    for i in np.flatnonzero(result.flags & FLAG_PARTIAL).tolist()[:200]:
        chars = text[starts[i]:ends[i]]
        assert result.token_text(i) in (chars, chars.lstrip(" ")) or chars.endswith(result.token_text(i))
        assert "\ufffd" not in result.token_text(i), "a partial-byte token shows its character, not mojibake"
    if tid in BYTE_LEVEL and text:
        # byte-level BPE covers every character, with no gap
        assert starts[0] == 0 and ends[-1] == len(text)
        assert np.all(starts[1:] <= ends[:-1])
        non_partial = (result.flags & FLAG_PARTIAL) == 0
        joined = "".join(result.token_text(i) for i in np.flatnonzero(non_partial).tolist())
        assert len(joined) <= len(text)


@pytest.mark.parametrize("name", list(HARD_INPUTS))
@pytest.mark.parametrize("tid", OFFLINE)
def test_ids_and_spans_match_the_reference_library(tid, name, tokenizers, references):
    result = check_against_reference(tid, tokenizers[tid], references[tid], HARD_INPUTS[name])
    check_invariants(tid, result)


@pytest.mark.parametrize("tid", OFFLINE)
def test_a_megabyte_of_text_matches_the_reference_too(tid, tokenizers, references, megabyte):
    result = check_against_reference(tid, tokenizers[tid], references[tid], megabyte)
    check_invariants(tid, result)
    assert len(result) > 100_000


def test_vendored_tiktoken_files_give_openais_known_ids(tokenizers):
    # published ids for "hello world" in each encoding
    assert tokenizers["gpt2"].tokenize("hello world").ids.tolist() == [31373, 995]
    assert tokenizers["gpt-4"].tokenize("hello world").ids.tolist() == [15339, 1917]
    assert tokenizers["gpt-4o"].tokenize("hello world").ids.tolist() == [24912, 2375]
    assert [tokenizers[t].vocab_size for t in ("gpt2", "gpt-4", "gpt-4o")] == [50257, 100277, 200019]
    assert isinstance(tokenizers["gpt2"], TiktokenTokenizer)


def test_an_emoji_split_into_bytes_shows_the_emoji_on_every_piece(tokenizers):
    result = tokenizers["gpt2"].tokenize("🎵")
    assert len(result) == 3
    assert [result.token_text(i) for i in range(3)] == ["🎵"] * 3
    assert all(result.flags & FLAG_PARTIAL)
    assert result.starts.tolist() == [0, 0, 0] and result.ends.tolist() == [1, 1, 1]
    # " 鸟" starts with a space and the first byte of 鸟: its span is both characters
    result = tokenizers["gpt-4"].tokenize("a 鸟")
    assert [(t.start, t.end) for t in result.tokens()] == [(0, 1), (1, 3), (2, 3), (2, 3)]
    assert result.token(1).text == " 鸟"


def test_bert_marks_special_and_unknown_tokens_like_the_lecture(tokenizers):
    result = tokenizers["bert-base-uncased"].tokenize(LECTURE)
    texts = [t.text for t in result.tokens()]
    assert texts[:7] == ["[CLS]", "english", "and", "capital", "##ization", "[UNK]", "[UNK]"]
    assert texts[-1] == "[SEP]"
    assert result.flags[0] & FLAG_SPECIAL and result.flags[-1] & FLAG_SPECIAL
    assert result.token(0).start == result.token(0).end == 0
    assert result.token(len(result) - 1).start == result.token(len(result) - 1).end == len(LECTURE.rstrip("\n"))
    unknown = [t.text for t, f in zip(result.tokens(), result.flags) if f & FLAG_UNKNOWN]
    assert unknown == ["[UNK]", "[UNK]"]
    assert result.token(5).start == LECTURE.index("🎵")


def test_gpt4_splits_capitalization_like_the_lecture(tokenizers):
    result = tokenizers["gpt-4"].tokenize(LECTURE)
    texts = [t.text for t in result.tokens()]
    assert texts[:5] == ["\n", "English", " and", " CAPITAL", "IZATION"]
    assert "\n" in texts[-1]


def test_mistral_starts_with_bos_and_its_prefix_space_covers_nothing(tokenizers):
    result = tokenizers["mistral"].tokenize("\nhi")
    assert isinstance(tokenizers["mistral"], SentencePieceTokenizer)
    assert result.token(0).text == "<s>" and result.token(0).special
    assert result.flags[1] & FLAG_PREFIX and result.token(1).start == result.token(1).end == 0
    assert result.token(2).text == "\n" and (result.token(2).start, result.token(2).end) == (0, 1)


def test_empty_text_keeps_only_the_special_tokens(tokenizers):
    assert [t.text for t in tokenizers["bert-base-uncased"].tokenize("").tokens()] == ["[CLS]", "[SEP]"]
    assert [t.text for t in tokenizers["mistral"].tokenize("").tokens()] == ["<s>"]
    assert len(tokenizers["gpt-4"].tokenize("")) == 0


def test_json_shape_is_what_the_cli_promises(tokenizers):
    data = tokenizers["bert-base-uncased"].tokenize("Hi!").to_json()
    assert data["tokenizer"] == "bert-base-uncased" and data["vocab_size"] == 30522
    assert data["encoding"] == catalogue.find("bert-base-uncased", "tokenizer").encoding
    assert data["tokens"][1] == {"id": 7632, "text": "hi", "start": 0, "end": 2, "special": False}


def test_overlapping_finds_tokens_of_other_tokenizers_under_a_span(tokenizers):
    gpt2 = tokenizers["gpt2"].tokenize(LECTURE)
    bert = tokenizers["bert-base-uncased"].tokenize(LECTURE)
    i = [t.text for t in gpt2.tokens()].index("ITAL")  # GPT-2: CAP|ITAL|IZ|ATION
    hits = bert.overlapping(int(gpt2.starts[i]), int(gpt2.ends[i]))
    assert [bert.token_text(j) for j in hits] == ["capital"]
    emoji = bert.overlapping(LECTURE.index("🎵"), LECTURE.index("🎵") + 1)
    assert [bert.token_text(j) for j in emoji] == ["[UNK]"]
    assert bert.overlapping(0, 0).size == 0


def test_visible_whitespace_never_leaves_a_chip_blank():
    assert visible_whitespace(" \t\n") == "·→↵"
    assert visible_whitespace("\u200d") == "⁀"
    assert unicodedata.combining(visible_whitespace("\u0301")[1])
    assert visible_whitespace("\u0301").startswith("◌")


@pytest.mark.parametrize("algorithm", ["bpe", "wordpiece", "unigram"])
def test_training_gives_a_working_tokenizer_of_the_chosen_kind(algorithm):
    corpus = Path(__file__).read_text(encoding="utf-8") * 3
    tokenizer = train_tokenizer(corpus, TrainingSettings(algorithm, 400), f"trained-{algorithm}")
    assert isinstance(tokenizer, HFTokenizer)
    assert 50 <= tokenizer.vocab_size <= 400
    result = tokenizer.tokenize("def tokenizer(text): return text")
    assert len(result) > 3
    assert np.all(np.diff(result.starts) >= 0)
    if algorithm == "bpe":
        assert tokenizer.merges() and " + " in tokenizer.merges()[0]
        # byte-level: every character covered, nothing unknown, even an unseen emoji
        emoji = tokenizer.tokenize("🦜")
        assert emoji.starts.tolist()[0] == 0 and emoji.ends.tolist()[-1] == 1 and not (emoji.flags & FLAG_UNKNOWN).any()
    if algorithm == "wordpiece":
        assert result.token(0).text == "[CLS]" and result.token(len(result) - 1).text == "[SEP]"
    if algorithm == "unigram":
        assert result.token(len(result) - 1).text == "</s>"
    # a bigger vocabulary means fewer tokens for the same text
    bigger = train_tokenizer(corpus, TrainingSettings(algorithm, 1200), "bigger")
    assert len(bigger.tokenize(corpus[:2000])) < len(tokenizer.tokenize(corpus[:2000]))


def test_training_refuses_bad_settings_with_a_clear_message():
    with pytest.raises(TrainingError, match="empty"):
        train_tokenizer("   ", TrainingSettings("bpe", 500), "x")
    with pytest.raises(TrainingError, match="between"):
        train_tokenizer("text", TrainingSettings("bpe", 5), "x")


def test_hub_tokenizers_say_they_need_a_download_when_offline():
    from explorer.models.hub import HubUnavailable

    for tid in ("bert-base-cased", "flan-t5", "starcoder2"):
        with pytest.raises(HubUnavailable, match="needs download"):
            load_tokenizer_entry(catalogue.find(tid, "tokenizer"))
    with pytest.raises(HubUnavailable, match="needs download"):
        load_tokenizer_entry(resolve_tokenizer("someone/some-tokenizer"))


def test_a_local_folder_with_tokenizer_files_loads(tmp_path):
    import shutil

    shutil.copy(paths.minilm_dir() / "tokenizer.json", tmp_path / "tokenizer.json")
    entry = resolve_tokenizer(str(tmp_path))
    tokenizer = load_tokenizer_entry(entry).model
    assert [t.text for t in tokenizer.tokenize("Hello").tokens()] == ["[CLS]", "hello", "[SEP]"]
    only_vocab = tmp_path / "vocab_only"
    only_vocab.mkdir()
    shutil.copy(paths.minilm_dir() / "vocab.txt", only_vocab / "vocab.txt")
    tokenizer = load_tokenizer_entry(resolve_tokenizer(str(only_vocab))).model
    assert [t.text for t in tokenizer.tokenize("Tokenization").tokens()] == ["[CLS]", "token", "##ization", "[SEP]"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no tokenizer files"):
        load_tokenizer_entry(resolve_tokenizer(str(empty)))


def test_token_embedding_rows_come_from_the_real_models(tokenizers):
    assert has_token_embeddings("bert-base-uncased") and has_token_embeddings("smollm2")
    assert not has_token_embeddings("gpt-4")
    row = token_embedding_row("bert-base-uncased", 2394)  # "english"
    assert row.matrix_shape == (30522, 384) and row.values.shape == (384,)
    other = token_embedding_row("bert-base-uncased", 2394 + 1)
    assert not np.allclose(row.values, other.values)
    smol = token_embedding_row("smollm2", 0)
    assert smol.matrix_shape == (49152, 576)
    with pytest.raises(ValueError, match="outside"):
        token_embedding_row("smollm2", 49152)


@pytest.mark.parametrize("name", ["lecture", "zwj emoji", "cjk", "combining marks", "tabs and crlf"])
def test_sentencepiece_offset_fallback_agrees_with_the_byte_path(name, tokenizers):
    # normalizing SentencePiece models (T5's) take the library-offsets path; on Mistral's identity
    # normalizer both paths must give the same spans
    mistral = tokenizers["mistral"]
    text = HARD_INPUTS[name]
    exact = mistral.tokenize(text)
    ids = exact.ids[1:]  # without <s>
    starts, ends, partial = mistral._library_spans(text, ids)
    prefix = (exact.flags[1:] & FLAG_PREFIX) != 0
    assert starts[~prefix].tolist() == exact.starts[1:][~prefix].tolist()
    assert ends[~prefix].tolist() == exact.ends[1:][~prefix].tolist()
    assert partial.tolist() == ((exact.flags[1:] & FLAG_PARTIAL) != 0).tolist()


def test_a_folder_with_gpt2_style_vocab_and_merges_loads(tmp_path):
    corpus = Path(__file__).read_text(encoding="utf-8")
    trained = train_tokenizer(corpus, TrainingSettings("bpe", 400), "trained")
    trained.tok.model.save(str(tmp_path))  # writes vocab.json and merges.txt
    assert {p.name for p in tmp_path.iterdir()} == {"vocab.json", "merges.txt"}
    loaded = load_tokenizer_entry(resolve_tokenizer(str(tmp_path))).model
    text = "def tokenizer(text): return text  # 🦜"
    assert loaded.tokenize(text).ids.tolist() == trained.tokenize(text).ids.tolist()
    assert loaded.encoding.startswith("byte-level BPE")


MIXED = ("\nEnglish and CAPITALIZATION\n🎵 鸟 👩‍💻 e\u0301 ｶﾀｶﾅ\ttabs [CLS] <s> </s> <unk> <|endoftext|> 12.0*50=600\n"
         "Привет, мир; 你好，世界")


@pytest.mark.parametrize("tid", OFFLINE)
def test_the_plain_result_the_gui_gets_reads_exactly_like_the_tokenization(tid, tokenizers):
    """What the model host sends the GUI (no tokenizer object) gives every token's text, bytes and span."""
    import pickle

    result = tokenizers[tid].tokenize(MIXED)
    plain = pickle.loads(pickle.dumps(result.to_plain("src")))
    assert plain.ids.tolist() == result.ids.tolist() and plain.starts.tolist() == result.starts.tolist()
    assert plain.ends.tolist() == result.ends.tolist() and len(plain) == len(result)
    assert [plain.token_text(i) for i in range(len(plain))] == [result.token_text(i) for i in range(len(result))]
    assert [plain.token_bytes(i) or b"" for i in range(len(plain))] == \
        [result.token_bytes(i) or b"" for i in range(len(result))]
    assert plain.to_json() == result.to_json()
    assert (plain.tokenizer_id, plain.vocab_size, plain.source) == (tid, result.vocab_size, "src")


def test_the_host_operation_tokenizes_every_row_and_names_a_lost_trained_tokenizer(tokenizers):
    """explorer/host/ops/tokenizers.py called directly with a small fake host context (no process, no Qt)."""
    from explorer.host.ops import tokenizers as ops

    class Store:
        def get_entry(self, entry, progress=None):
            return type("Loaded", (), {"model": tokenizers[entry.id]})()

    class Ctx:
        models, state = Store(), {}
        partials: list = []

        def check(self):
            pass

        def report(self, fraction, message=""):
            pass

        def partial(self, value):
            self.partials.append(value)

    ctx = Ctx()
    rows = {"gpt2": catalogue.find("gpt2", "tokenizer"), "trained:bpe:300:1": None}
    answer = ops.tokenize(ctx, rows=rows, text="Hello world", progressive=False)
    assert answer["lost"] == {"trained:bpe:300:1": ops.LOST_MESSAGE} and "retrain" in ops.LOST_MESSAGE
    assert answer["results"]["gpt2"].ids.tolist() == tokenizers["gpt2"].tokenize("Hello world").ids.tolist()
    info = ops.train(ctx, key="trained:bpe:300:1", algorithm="bpe", vocab_size=300, source="test",
                     text="hello world, hello there " * 40)
    answer = ops.tokenize(ctx, rows=rows, text="hello world", progressive=True)
    assert answer == {"results": {}, "lost": {}} and {key for key, _ in ctx.partials} == set(rows)
    vocabulary = ops.vocabulary(ctx, key="trained:bpe:300:1")
    assert len(vocabulary["pieces"]) == info["vocab_size"] and vocabulary["merges"]
