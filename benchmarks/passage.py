"""The plain prose the benchmarks feed the models, and exactly n token ids of it for any tokenizer."""
from __future__ import annotations

PASSAGE = (
    "The river ran past the old mill where the miller's daughter kept a ledger of every sack of grain. "
    "In the spring the water rose, and the villagers argued about whether to build a wall or move the mill "
    "further up the hill. Scientists who studied the valley later found that the floods came every seven "
    "years, following the snow on the mountains, and that the wall would have failed within a decade. "
    "Meanwhile the children learned to count by watching boats: red ones carried apples, blue ones wool, "
    "and the rare green boat brought letters from the city, which the teacher read aloud on Fridays. "
)
# about 512 SmolLM2 tokens (five passages are 601 tokens)
PASSAGE_512 = (PASSAGE * 5)[:int(len(PASSAGE * 5) * 0.85)]


def ids_of_length(tokenizer, n: int) -> list[int]:
    """Exactly n token ids of real text (special tokens where the model adds them)."""
    # one passage is about 120 tokens: n // 50 + 2 copies are always more than n
    ids = tokenizer(PASSAGE * (n // 50 + 2), add_special_tokens=True, truncation=True, max_length=n)["input_ids"]
    if len(ids) != n:
        raise ValueError(f"the passage gave {len(ids)} tokens, not {n}")
    return list(ids)
