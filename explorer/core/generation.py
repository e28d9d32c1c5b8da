"""The next token: its distribution under temperature / top-k / top-p, generation in token ids, the logit lens.

Generation never goes back through text: each chosen id is appended to the ids, and the text is
decoded from the ids' bytes. SmolLM2's byte-level BPE can split one character (an emoji) over
several tokens; until its last byte arrives the pending bytes are shown as byte pieces (<F0 9F>).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import numpy as np

from explorer.core.progress import Progress, ensure


@dataclass
class Candidate:
    token: str  # the decoded piece, e.g. " Paris"
    id: int
    prob: float  # probability after temperature / top-k / top-p (0 when filtered out)
    raw_prob: float  # probability at temperature 1 with no filtering
    kept: bool  # survived top-k and top-p


@dataclass
class SamplingSettings:
    temperature: float = 1.0
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    greedy: bool = True
    seed: int | None = None

    def to_json(self) -> dict:
        return {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p,
                "greedy": self.greedy, "seed": self.seed}

    @classmethod
    def from_json(cls, data: dict) -> "SamplingSettings":
        base = cls()
        return cls(temperature=float(data.get("temperature", base.temperature)),
                   top_k=int(data.get("top_k", base.top_k)), top_p=float(data.get("top_p", base.top_p)),
                   greedy=bool(data.get("greedy", base.greedy)), seed=data.get("seed"))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    if temperature <= 0:
        raise ValueError("temperature must be above 0")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max()
    p = np.exp(z)
    return p / p.sum()


def sampling_distribution(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0,
                          top_p: float = 1.0) -> np.ndarray:
    """Probabilities a sampler would draw from: softmax(logits / T), then top-k, then top-p, renormalised."""
    p = softmax(logits, max(temperature, 1e-4))
    keep = np.ones_like(p, dtype=bool)
    order = np.argsort(-p, kind="stable")
    if top_k and top_k > 0 and top_k < p.size:
        keep[order[top_k:]] = False
    if 0 < top_p < 1:
        sorted_p = np.where(keep[order], p[order], 0.0)
        cumulative = np.cumsum(sorted_p) / sorted_p.sum()
        # keep the smallest prefix whose mass reaches top_p (always at least the top token)
        cut = int(np.searchsorted(cumulative, top_p) + 1)
        keep[order[cut:]] = False
    q = np.where(keep, p, 0.0)
    return q / q.sum()


def candidates(tokenizer, logits: np.ndarray, settings: SamplingSettings | None = None,
               k: int = 10) -> list[Candidate]:
    """The k most likely next tokens (at temperature 1), with their sampling probabilities."""
    settings = settings or SamplingSettings()
    raw = softmax(logits, 1.0)
    sampled = sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)
    top = np.argsort(-raw, kind="stable")[:k]
    return [Candidate(piece(tokenizer, int(i)), int(i), float(sampled[i]), float(raw[i]), bool(sampled[i] > 0))
            for i in top]


def choose(logits: np.ndarray, settings: SamplingSettings, rng: np.random.Generator | None = None) -> int:
    """Greedy: the most likely token. Sampled: a draw from the filtered distribution."""
    if settings.greedy:
        return int(np.argmax(logits))
    p = sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)
    rng = rng or np.random.default_rng(settings.seed)
    return int(rng.choice(p.size, p=p))


def piece(tokenizer, token_id: int) -> str:
    """The decoded text of one token; a token that is part of a character as its bytes (<F0 9F>)."""
    text = tokenizer.decode([token_id])
    if not text or "\ufffd" in text:
        return byte_text(token_bytes(tokenizer, token_id))
    return text


@dataclass
class Prediction:
    logits: np.ndarray  # float32 [vocab]: the token after the end of the text
    context_tokens: int  # how many tokens the model saw (the last ones of the text)
    total_tokens: int  # how many tokens the whole text has

    @property
    def truncated(self) -> bool:
        return self.total_tokens > self.context_tokens


def next_token(model, tokenizer, text: str, progress: Progress | None = None) -> Prediction:
    """Logits for the token after the END of `text` (its last `max_tokens` tokens); no attention kept."""
    from explorer.core.attention import encode

    ids, total = encode(tokenizer, text, model.config)
    return Prediction(ids_logits(model, ids, progress), len(ids), total or len(ids))


def next_token_logits(model, tokenizer, text: str, progress: Progress | None = None) -> np.ndarray:
    """Logits [vocab] for the token after `text` (no attention kept: the cheap path)."""
    return next_token(model, tokenizer, text, progress).logits


def ids_logits(model, ids: list[int], progress: Progress | None = None) -> np.ndarray:
    """Logits [vocab] for the token after `ids`: one forward pass, cancellable between blocks."""
    import torch

    from explorer.core.attention import _accepts, decoder_layers

    progress = ensure(progress)
    device = next(model.parameters()).device
    handles = [block.register_forward_pre_hook(lambda m, a: progress.check()) for block in decoder_layers(model)]
    kwargs = {"use_cache": False}
    if _accepts(model, "logits_to_keep"):
        kwargs["logits_to_keep"] = 1  # only the last position: skips a [T x vocab] product
    try:
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([list(ids)], device=device), **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    return out.logits[0, -1].float().cpu().numpy()


@dataclass
class LensRow:
    layer: int  # 0 = embeddings, i = after block i
    token: str
    id: int
    prob: float
    target_prob: float  # probability of the model's final top token at this depth


def final_norm_and_head(model):
    """(final norm, LM head) of a causal LM, for reading the residual stream as a prediction."""
    head = model.get_output_embeddings()
    base = getattr(model, "base_model", model)
    norm = None
    for name in ("norm", "ln_f", "final_layer_norm", "final_layernorm"):
        norm = getattr(base, name, None)
        if norm is not None:
            break
    if head is None:
        raise ValueError("this model has no language-model head")
    return norm, head


def logit_lens(model, tokenizer, hidden_last: np.ndarray) -> list[LensRow]:
    """Top token after every layer: final norm + LM head applied to the residual stream.

    The last row is exactly the model's own prediction.
    """
    import torch

    norm, head = final_norm_and_head(model)
    param = next(head.parameters())
    with torch.inference_mode():
        h = torch.from_numpy(np.ascontiguousarray(hidden_last)).to(param.device, param.dtype)
        if norm is not None:
            h = norm(h)
        probs = torch.softmax(head(h).float(), dim=-1).cpu().numpy()
    target = int(np.argmax(probs[-1]))
    rows = []
    for layer, p in enumerate(probs):
        top = int(np.argmax(p))
        rows.append(LensRow(layer, piece(tokenizer, top), top, float(p[top]), float(p[target])))
    return rows


# ---------------------------------------------------------------- generation in token ids
MAX_NEW_TOKENS = 4096  # the CLI's bound; the prompt window shrinks so prompt + new tokens fit the context
_BYTE_TOKEN = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


def is_byte_level(tokenizer) -> bool:
    """True when the tokenizer's decoder maps each vocabulary character to one byte (GPT-2, SmolLM2)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = getattr(backend, "decoder", None) if backend is not None else None
    if decoder is None:
        return False
    try:
        return b"ByteLevel" in decoder.__getstate__()
    except (AttributeError, TypeError):
        return type(decoder).__name__ == "ByteLevel"


def token_bytes(tokenizer, token_id: int, byte_level: bool | None = None) -> bytes:
    """The UTF-8 bytes one token stands for (a byte-level token can be part of a character)."""
    from explorer.core.tokenizer_base import BYTE_DECODER

    if byte_level is None:
        byte_level = is_byte_level(tokenizer)
    raw = tokenizer.convert_ids_to_tokens(int(token_id))
    special = getattr(tokenizer, "all_special_ids", None) or []
    if isinstance(raw, str) and int(token_id) not in special:
        match = _BYTE_TOKEN.match(raw)
        if match:  # SentencePiece byte fallback: <0xF0>
            return bytes([int(match.group(1), 16)])
        if byte_level:
            try:
                return bytes(BYTE_DECODER[c] for c in raw)
            except KeyError:
                pass  # an added token written as plain text
        if "\u2581" in raw:  # SentencePiece marks a space with ▁
            return raw.replace("\u2581", " ").encode("utf-8")
    return tokenizer.decode([int(token_id)]).encode("utf-8")


def byte_text(data: bytes) -> str:
    """Bytes as text; bytes that are not whole characters as byte pieces: b'\\xf0\\x9f' -> '<F0 9F>'."""
    out: list[str] = []
    bad = bytearray()  # consecutive bytes that are not whole characters, shown as one <..> piece
    i = 0
    while i < len(data):
        try:
            good, bad_now, stop = data[i:].decode("utf-8"), b"", len(data)
        except UnicodeDecodeError as exc:
            good, bad_now, stop = data[i:i + exc.start].decode("utf-8"), data[i + exc.start:i + exc.end], i + exc.end
        if good:
            if bad:
                out.append("<" + " ".join(f"{b:02X}" for b in bad) + ">")
                bad.clear()
            out.append(good)
        bad += bad_now
        i = stop
    if bad:
        out.append("<" + " ".join(f"{b:02X}" for b in bad) + ">")
    return "".join(out)


class TextStream:
    """Generated ids -> text, byte by byte: a character split over tokens appears with its last byte."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.byte_level = is_byte_level(tokenizer)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""  # every complete character so far

    def push(self, token_id: int) -> str:
        """Add one token; returns the text it completes ("" while a character is still incomplete)."""
        new = self._decoder.decode(token_bytes(self.tokenizer, token_id, self.byte_level))
        self.text += new
        return new

    @property
    def pending(self) -> bytes:
        """The bytes of a character that has not ended yet."""
        return self._decoder.getstate()[0]

    def shown(self) -> str:
        """The text so far, with the bytes of an unfinished character as byte pieces."""
        return self.text + byte_text(self.pending)

    def plain_state(self) -> tuple[str, bytes, int]:
        """The stream as plain data (text, pending bytes, decoder flag): it crosses to the GUI and back."""
        pending, flag = self._decoder.getstate()
        return self.text, pending, flag

    @classmethod
    def from_state(cls, tokenizer, state: tuple[str, bytes, int] | None) -> "TextStream":
        """A stream that continues where `plain_state()` was taken (a fresh one for None)."""
        stream = cls(tokenizer)
        if state is not None:
            stream.text = state[0]
            stream._decoder.setstate((bytes(state[1]), int(state[2])))
        return stream

    def copy(self) -> "TextStream":
        twin = TextStream.__new__(TextStream)
        twin.tokenizer, twin.byte_level, twin.text = self.tokenizer, self.byte_level, self.text
        twin._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        twin._decoder.setstate(self._decoder.getstate())
        return twin


@dataclass
class Step:
    id: int
    piece: str  # the token's own bytes as text, bytes that are part of a character as <F0 9F>
    prob: float  # the model's probability of this token (temperature 1, no filter)
    sampling_prob: float  # its probability under the sampler's settings (1.0 for greedy)


def next_step(tokenizer, logits: np.ndarray, settings: SamplingSettings,
              rng: np.random.Generator | None = None, byte_level: bool | None = None) -> Step:
    """Choose the next token id from `logits` (greedy: the first maximum, like torch.argmax)."""
    token_id = choose(logits, settings, rng)
    prob = float(softmax(logits)[token_id])
    sampled = 1.0 if settings.greedy else float(
        sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)[token_id])
    return Step(token_id, byte_text(token_bytes(tokenizer, token_id, byte_level)), prob, sampled)


def eos_ids(model) -> set[int]:
    """The ids that end generation, as transformers' generate reads them (generation_config first)."""
    for config in (getattr(model, "generation_config", None), model.config):
        value = getattr(config, "eos_token_id", None) if config is not None else None
        if value is not None:
            return {int(v) for v in (value if isinstance(value, (list, tuple)) else [value])}
    return set()


def prompt_limit(config, max_new_tokens: int) -> int:
    """How many prompt tokens generation keeps (the last ones): the analysis window, and room for the
    new tokens inside the model's context."""
    from explorer.core.attention import max_tokens

    limit = max_tokens(config)
    context = getattr(config, "max_position_embeddings", None)
    if context:
        if max_new_tokens >= int(context):
            raise ValueError(f"this model's context is {int(context):,} tokens: ask for fewer new tokens")
        limit = min(limit, int(context) - max_new_tokens)
    return max(1, limit)


@dataclass
class Generation:
    prompt_ids: list[int]  # the ids the model saw (the last ones of a long text)
    new_ids: list[int]
    steps: list[Step]
    text: str  # the continuation decoded (tokenizer.decode(new_ids))
    total_prompt_tokens: int = 0  # the whole text's token count
    stopped_at_eos: bool = False
    stream: TextStream | None = field(default=None, repr=False)

    @property
    def truncated(self) -> bool:
        return self.total_prompt_tokens > len(self.prompt_ids)

    def to_json(self) -> dict:
        return {"prompt_ids": self.prompt_ids, "new_ids": self.new_ids, "text": self.text,
                "steps": [{"id": s.id, "piece": s.piece, "prob": s.prob} for s in self.steps],
                "context_tokens": len(self.prompt_ids), "truncated": self.truncated,
                "stopped_at_eos": self.stopped_at_eos}


def generate_text(model, tokenizer, text: str, max_new_tokens: int, settings: SamplingSettings,
                  progress: Progress | None = None) -> Generation:
    """`generate` after the END of `text` (its last `prompt_limit` tokens)."""
    from explorer.core.attention import encode

    ids, total = encode(tokenizer, text, model.config, prompt_limit(model.config, max_new_tokens))
    found = generate(model, tokenizer, ids, max_new_tokens, settings, progress)
    found.total_prompt_tokens = total or len(ids)
    return found


def generate(model, tokenizer, prompt_ids: list[int], max_new_tokens: int, settings: SamplingSettings,
             progress: Progress | None = None) -> Generation:
    """Up to `max_new_tokens` ids after `prompt_ids`, with the model's key/value cache.

    The calls mirror transformers' `generate`: one pass over the prompt with an all-ones attention
    mask and only the last position's logits, then one token at a time with the cache and the
    growing mask; greedy is the first argmax of the float32 logits; it stops after an
    end-of-sequence id (kept in `new_ids`, as transformers keeps it). Greedy ids therefore equal
    `model.generate(input_ids, do_sample=False, max_new_tokens=N)`. Sampling draws from
    `sampling_distribution` with a numpy generator seeded by `settings.seed`.
    """
    import torch

    from explorer.core.attention import _accepts

    if not 1 <= int(max_new_tokens) <= MAX_NEW_TOKENS:
        raise ValueError(f"the number of new tokens must be between 1 and {MAX_NEW_TOKENS}")
    if not prompt_ids:
        raise ValueError("The text gives no tokens.")
    progress = ensure(progress)
    device = next(model.parameters()).device
    cache_name = "cache" if _accepts(model, "cache") else "past_key_values"
    extra = {"logits_to_keep": 1} if _accepts(model, "logits_to_keep") else {}
    stop = eos_ids(model)
    rng = None if settings.greedy else np.random.default_rng(settings.seed)
    stream = TextStream(tokenizer)
    new_ids: list[int] = []
    steps: list[Step] = []
    eos = False
    mask = torch.ones((1, len(prompt_ids)), dtype=torch.long, device=device)
    with torch.inference_mode():
        progress.report(0.0, f"Reading the prompt ({len(prompt_ids):,} tokens)")
        out = model(input_ids=torch.tensor([list(prompt_ids)], device=device), attention_mask=mask,
                    use_cache=True, **extra)
        for n in range(int(max_new_tokens)):
            progress.check()
            logits = out.logits[0, -1].float().cpu().numpy()
            step = next_step(tokenizer, logits, settings, rng, stream.byte_level)
            steps.append(step)
            new_ids.append(step.id)
            stream.push(step.id)
            progress.report((n + 1) / max_new_tokens, f"Token {n + 1} of {max_new_tokens}")
            if step.id in stop:
                eos = True
                break
            if n + 1 == max_new_tokens:
                break
            cache = getattr(out, cache_name, None)
            mask = torch.cat([mask, mask.new_ones((1, 1))], dim=-1)
            out = model(input_ids=torch.tensor([[step.id]], device=device), attention_mask=mask,
                        use_cache=True, **{cache_name: cache}, **extra)
    return Generation(list(prompt_ids), new_ids, steps, tokenizer.decode(new_ids), len(prompt_ids), eos, stream)
