"""Train a small BPE, WordPiece or Unigram tokenizer on a given text (the `tokenizers` library).

Shows what "a trained tokenizer" is: the vocabulary (and, for BPE, the merge
rules) come from counting the training text. Each algorithm is set up the
way a well-known model family uses it: byte-level BPE like GPT-2, WordPiece
like BERT (lower-cased, [CLS] ... [SEP]), Unigram on SentencePiece-style
pieces like T5 (ending in </s>).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from explorer.core.progress import Progress, ensure
from explorer.core.tokenizer_wrappers import HFTokenizer

ALGORITHMS = ("bpe", "wordpiece", "unigram")
ALGORITHM_TITLES = {"bpe": "BPE", "wordpiece": "WordPiece", "unigram": "Unigram"}
MIN_VOCAB, MAX_VOCAB = 50, 200_000
MAX_TRAINING_CHARS = 50_000_000


class TrainingError(ValueError):
    """The text or the settings cannot give a tokenizer (a clear message for the user)."""


@dataclass(frozen=True)
class TrainingSettings:
    algorithm: str
    vocab_size: int
    # where the training text came from: "text box" or a file path (shown to the user, kept in sessions)
    source: str = "text box"

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def title(self) -> str:
        return f"My {ALGORITHM_TITLES.get(self.algorithm, self.algorithm)} ({self.vocab_size:,})"


def _chunks(text: str, size: int = 4096):
    """Lines, with very long lines cut, so the trainer sees a realistic stream of sentences."""
    for line in text.splitlines(keepends=True):
        for i in range(0, len(line), size):
            yield line[i:i + size]


def train_tokenizer(text: str, settings: TrainingSettings, tokenizer_id: str,
                    progress: Progress | None = None) -> HFTokenizer:
    """Train on `text`; the result is a tokenizer row like any other."""
    progress = ensure(progress)
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    algorithm = settings.algorithm
    if algorithm not in ALGORITHMS:
        raise TrainingError(f"unknown algorithm '{algorithm}': choose one of {', '.join(ALGORITHMS)}")
    if not MIN_VOCAB <= settings.vocab_size <= MAX_VOCAB:
        raise TrainingError(f"choose a vocabulary size between {MIN_VOCAB} and {MAX_VOCAB:,}")
    if not text.strip():
        raise TrainingError("the training text is empty: type or load some text first")
    if len(text) > MAX_TRAINING_CHARS:
        raise TrainingError(f"the training text is too long ({len(text):,} characters; at most "
                            f"{MAX_TRAINING_CHARS:,})")
    progress.check()
    progress.report(None, f"Training a {ALGORITHM_TITLES[algorithm]} tokenizer "
                          f"({settings.vocab_size:,} tokens) on {len(text):,} characters")
    size = settings.vocab_size
    if algorithm == "bpe":
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=size, special_tokens=["<|endoftext|>"], show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    elif algorithm == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=size, special_tokens=["[UNK]", "[CLS]", "[SEP]"],
                                            show_progress=False)
    else:
        tokenizer = Tokenizer(models.Unigram())
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=size, special_tokens=["<unk>", "</s>"], unk_token="<unk>",
                                          show_progress=False)
    try:
        tokenizer.train_from_iterator(_chunks(text), trainer=trainer)
    except Exception as exc:  # noqa: BLE001 - the Rust trainer reports problems as plain exceptions
        raise TrainingError(f"training failed: {exc}") from exc
    progress.check()
    if algorithm == "wordpiece":
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    elif algorithm == "unigram":
        eos = tokenizer.token_to_id("</s>")
        tokenizer.post_processor = processors.TemplateProcessing(
            single="$A </s>", pair="$A </s> $B:1 </s>:1", special_tokens=[("</s>", eos)])
    result = HFTokenizer(tokenizer, tokenizer_id, settings.title,
                         f"{ALGORITHM_TITLES[algorithm]} trained here on {settings.source}")
    progress.report(1.0, f"Trained {settings.title}: {result.vocab_size:,} tokens")
    return result
