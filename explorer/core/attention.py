"""Attention extraction: the model's own attention probabilities for a text, plus head statistics.

One forward pass in eval mode with eager attention gives every layer's
[heads, T, T] probabilities; we stack them as float32 [L, H, T, T]. For a
causal LM the same pass also yields the next-token logits and, on request,
the residual stream at the last position after every layer (the logit lens).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from explorer.core.causal import is_causal
from explorer.core.progress import Progress, ensure

# Attention maps for all heads grow as L*H*T^2: keep them under this many bytes (float32).
MAX_ATTENTION_BYTES = 1_500_000_000


@dataclass
class HeadStats:
    """One number per head ([L, H] each), to sort and filter heads."""

    previous: np.ndarray  # mean weight a token gives to the token just before it
    first: np.ndarray  # mean weight given to the first token (rows after the first)
    # mean over query rows of the row's entropy, in bits; None until computed (a log over every
    # weight costs as much as a third of MiniLM's forward pass, so the pane asks for it on demand)
    entropy: np.ndarray | None = None
    # the same with the first token left out: previous-token weight from the third token on (the
    # second token's previous token IS the first), entropy of the rows renormalised without key 0
    previous_rest: np.ndarray | None = None
    entropy_rest: np.ndarray | None = None

    def by_name(self, name: str, skip_first: bool = False) -> np.ndarray | None:
        if skip_first and name in ("previous", "entropy"):
            return {"previous": self.previous_rest, "entropy": self.entropy_rest}[name]
        return {"entropy": self.entropy, "previous": self.previous, "first": self.first}[name]


STAT_TITLES = {
    "entropy": "entropy (bits): low = focused head",
    "previous": "attention to the previous token",
    "first": "attention to the first token",
}
# A head that gives on average at least this share of every token's weight to the first token is an
# "attention sink" head: the first token is where it parks attention it does not need, so a high
# weight on the first token says little about that token (SmolLM2: 211 of 270 heads on "Sarah fed
# the cat because it").
SINK_SHARE = 0.5


@dataclass
class AttentionResult:
    model_id: str
    tokens: list[str]  # one display string per token (decoded piece, e.g. " cat" or "##ization")
    token_ids: list[int]
    # float32 [L, H, T, T]: row = query, column = key; rows sum to 1. In the model host a torch tensor
    # on the model's device; None in the GUI, which asks the host for the slices it draws
    attentions: np.ndarray | None
    causal: bool
    num_kv_heads: int
    stats: HeadStats
    # allowed[T, T] when a local/sparse mask was applied on top of the model's own mask, else None
    allowed: np.ndarray | None = None
    # causal LMs: logits for the token after the last one, float32 [vocab]
    next_logits: np.ndarray | None = None
    # causal LMs on request: residual stream at the last position, [L + 1, d] (embeddings first,
    # each layer's output before the final norm)
    hidden_last: np.ndarray | None = None
    truncated_from: int | None = None  # the text had this many tokens; only the LAST ones were kept
    dims: tuple[int, int, int] = (0, 0, 0)  # (layers, heads, tokens): known without the maps
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.attentions is not None:
            self.dims = tuple(int(n) for n in self.attentions.shape[:3])

    @property
    def num_layers(self) -> int:
        return self.dims[0]

    @property
    def num_heads(self) -> int:
        return self.dims[1]

    @property
    def num_tokens(self) -> int:
        return self.dims[2]

    def without_maps(self) -> "AttentionResult":
        """The same result without the [L, H, T, T] maps (what crosses to the GUI); pair weights asked so far stay."""
        from dataclasses import replace

        return replace(self, attentions=None, _cache={k: v for k, v in self._cache.items() if k[0] in PAIR_KEYS})

    def visible(self) -> np.ndarray:
        """bool [T, T]: which keys each query may see (causal and/or local mask)."""
        t = self.num_tokens
        mask = np.tril(np.ones((t, t), dtype=bool)) if self.causal else np.ones((t, t), dtype=bool)
        if self.allowed is not None:
            mask &= self.allowed
        return mask

    def layer_mean(self, layer: int) -> np.ndarray:
        key = ("layer", layer)
        if key not in self._cache:
            self._cache[key] = _numpy(self.attentions[layer].mean(0))
        return self._cache[key]

    @cached_property
    def overall_mean(self) -> np.ndarray:
        return _numpy(self.attentions.mean((0, 1)))

    def head_map(self, layer: int, head: int) -> np.ndarray:
        """[T, T] one head's map, on the CPU."""
        return _numpy(self.attentions[layer, head])

    def shown(self, mode: str, layer: int, head: int) -> np.ndarray:
        """The map a view shows: one head ("head"), a layer's mean ("layer") or the mean of all heads ("all")."""
        if mode == "all":
            return self.overall_mean
        if mode == "layer":
            return self.layer_mean(layer)
        return self.head_map(layer, head)

    def between(self, query: int, key: int) -> np.ndarray:
        """[L, H]: how much `query` attends to `key` in every head (in the GUI: once fetched, see remember_pair)."""
        cached = self._cache.get(("between", query, key))
        if cached is not None:
            return cached
        if self.attentions is None:
            raise LookupError(f"the weights of token {query} to token {key} are in the model process")
        return _numpy(self.attentions[:, :, query, key])

    def habit(self, query: int) -> np.ndarray:
        """[L, H]: the mean weight the OTHER tokens (after the first) give the first token in each head."""
        cached = self._cache.get(("habit", query))
        if cached is not None:
            return cached
        if self.attentions is None:
            raise LookupError("the first token's weights are in the model process")
        rows = [i for i in range(1, self.num_tokens) if i != query]
        if not rows:
            return np.zeros((self.num_layers, self.num_heads), dtype=np.float32)
        return _numpy(self.attentions[:, :, rows, 0].mean(-1))

    def has_pair(self, query: int, key: int) -> bool:
        """Whether between(query, key) and habit(query) can be answered here (in the GUI: fetched already)."""
        return self.attentions is not None or (("between", query, key) in self._cache and ("habit", query) in self._cache)

    def remember_pair(self, query: int, key: int, between: np.ndarray, habit: np.ndarray) -> None:
        """Keep the [L, H] weights of one (query, key) pair that the model process sent."""
        self._cache[("between", query, key)] = between
        self._cache[("habit", query)] = habit


PAIR_KEYS = ("between", "habit")


def _numpy(values) -> np.ndarray:
    """A numpy array on the CPU from a numpy array or a torch tensor (the host's maps may be on the GPU)."""
    return values if isinstance(values, np.ndarray) else values.float().cpu().numpy()


def token_labels(tokenizer, ids: list[int]) -> list[str]:
    """How each token reads: the decoded piece, or its bytes (<F0 9F>) when it is part of a character."""
    from explorer.core.generation import byte_text, is_byte_level, token_bytes

    labels = _decode_each(tokenizer, ids)
    partial = [i for i, text in enumerate(labels) if not text or "\ufffd" in text]
    if partial:
        byte_level = is_byte_level(tokenizer)
        for i in partial:
            labels[i] = byte_text(token_bytes(tokenizer, int(ids[i]), byte_level)) or \
                tokenizer.convert_ids_to_tokens(int(ids[i]))
    return labels


def _decode_each(tokenizer, ids: list[int]) -> list[str]:
    """tokenizer.decode([id]) for every id; one Rust call for a fast tokenizer whose decode adds nothing.

    With clean_up_tokenization_spaces off, a fast tokenizer's decode is its backend's decode
    (same strings over the whole MiniLM and SmolLM2 vocabularies); a Python loop of decode calls
    costs ~20 us a token.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and getattr(tokenizer, "clean_up_tokenization_spaces", True) is False:
        return backend.decode_batch([[int(i)] for i in ids], skip_special_tokens=False)
    return [tokenizer.decode([token_id]) for token_id in ids]


def num_kv_heads(config) -> int:
    return int(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)


def max_tokens(config) -> int:
    """The longest window we analyse: the model's context or the attention memory budget.

    Longer texts keep their LAST tokens (see `encode`): the prediction, the logit lens and
    generation always continue the end of the text. SmolLM2: 1,178 tokens (the memory for its
    30 x 9 attention maps); MiniLM: 512 (its context).
    """
    layers, heads = config.num_hidden_layers, config.num_attention_heads
    by_memory = int(math.sqrt(MAX_ATTENTION_BYTES / (4 * layers * heads)))
    context = getattr(config, "max_position_embeddings", None) or by_memory
    return max(2, min(int(context), by_memory))


def special_frame(tokenizer) -> tuple[int, int]:
    """How many special tokens the tokenizer puts before and after a text ([CLS] ... [SEP]: 1, 1)."""
    plain = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    framed = list(tokenizer("a", add_special_tokens=True)["input_ids"])
    for start in range(len(framed) - len(plain) + 1):
        if framed[start:start + len(plain)] == plain:
            return start, len(framed) - start - len(plain)
    return 0, 0


def last_window(ids: list[int], limit: int, frame: tuple[int, int] = (0, 0)) -> list[int]:
    """The last `limit` tokens of `ids`, keeping the special tokens that frame the text."""
    if len(ids) <= limit:
        return list(ids)
    before, after = frame
    body = ids[before:len(ids) - after]
    keep = max(1, limit - before - after)
    return list(ids[:before]) + list(body[-keep:]) + list(ids[len(ids) - after:])


def encode(tokenizer, text: str, config, limit: int | None = None) -> tuple[list[int], int | None]:
    """The model's default tokenization of `text`, cut to its LAST `limit` tokens (default `max_tokens`).

    Returns (ids, the uncut token count when it was cut, else None). The text is tokenized once,
    whatever its length (1 MB of text: about a second); special tokens that frame the text
    ([CLS] ... [SEP]) stay in place.
    """
    if not text or not text.strip():
        raise ValueError("Type some text first.")
    ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    if not ids:
        raise ValueError("The text gives no tokens.")
    limit = max_tokens(config) if limit is None else max(1, int(limit))
    if len(ids) > limit:
        return last_window(ids, limit, special_frame(tokenizer)), len(ids)
    return ids, None


def additive_mask(allowed: np.ndarray, causal: bool, dtype, device):
    """A 4-D additive mask [1, 1, T, T]: 0 where a query may see a key, the dtype's minimum elsewhere.

    It replaces the model's own mask, so for a decoder it includes the causal triangle.
    """
    import torch

    allow = np.asarray(allowed, dtype=bool).copy()
    if causal:
        allow &= np.tril(np.ones_like(allow))
    np.fill_diagonal(allow, True)  # every query sees itself: no row is all -inf
    mask = torch.zeros(allow.shape, dtype=dtype)
    mask[~torch.from_numpy(allow)] = torch.finfo(dtype).min
    return mask[None, None].to(device)


def decoder_layers(model):
    """The model's list of transformer blocks (the ModuleList as long as num_hidden_layers)."""
    import torch

    n = model.config.num_hidden_layers
    for _, module in model.named_modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n:
            return module
    raise ValueError(f"cannot find the {n} transformer blocks of {model.__class__.__name__}")


@dataclass
class RawForward:
    attentions: object  # torch [L, H, T, T] float32, still on the model's device
    logits_last: np.ndarray | None
    hidden_last: np.ndarray | None


def _accepts(model, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def forward(model, ids: list[int], *, causal: bool, allowed: np.ndarray | None = None,
            hidden: bool = False, progress: Progress | None = None) -> RawForward:
    """One eager forward pass returning every layer's attention probabilities.

    Each layer's probabilities are copied into one preallocated [L, H, T, T] tensor as the layer
    produces them (a hook on its attention module), so the model never holds all layers' maps at
    once: half the memory of `output_attentions=True` and no stacking afterwards. Models whose
    layout we do not know fall back to `output_attentions=True`. Progress is reported and
    cancellation checked before every block.
    """
    import torch

    progress = ensure(progress)
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    layers = decoder_layers(model)
    n_layers = len(layers)
    t = len(ids)
    input_ids = torch.tensor([ids], device=device)
    kwargs = {"input_ids": input_ids}
    if allowed is not None:
        kwargs["attention_mask"] = additive_mask(allowed, causal, dtype, device)
    else:
        kwargs["attention_mask"] = torch.ones_like(input_ids)
    if causal:
        kwargs["use_cache"] = False
        if _accepts(model, "logits_to_keep"):
            kwargs["logits_to_keep"] = 1  # only the next token's logits: skips a [T x vocab] product

    captured: list = []
    handles = []

    def before_block(index):
        def hook(module, args, kw):
            progress.check()
            progress.report(index / n_layers, f"Layer {index + 1} of {n_layers}")
            if hidden and index == 0:
                # the residual stream entering the first block: embeddings (+ positions where learned)
                stream = args[0] if args else kw["hidden_states"]
                captured.append(stream[0, -1].detach())
        return hook

    for index, block in enumerate(layers):
        handles.append(block.register_forward_pre_hook(before_block(index), with_kwargs=True))
        if hidden:
            handles.append(block.register_forward_hook(
                lambda m, a, out: captured.append((out[0] if isinstance(out, tuple) else out)[0, -1].detach())))

    maps = None
    missing: list[int] = []
    try:
        from explorer.core.qkv import attention_modules

        producers = attention_modules(model)
    except ValueError:
        producers = []
    if len(producers) == n_layers:
        maps = torch.empty((n_layers, model.config.num_attention_heads, t, t), dtype=torch.float32, device=device)

        def grab(index):
            def hook(module, args, out):
                weights = out[1] if isinstance(out, tuple) and len(out) > 1 else None
                if weights is None or tuple(weights.shape[-3:]) != tuple(maps.shape[1:]):
                    missing.append(index)
                else:
                    maps[index].copy_(weights[0])
            return hook

        handles += [module.register_forward_hook(grab(i)) for i, module in enumerate(producers)]
    else:
        kwargs["output_attentions"] = True
    try:
        with torch.inference_mode():
            out = model(**kwargs)
            if maps is not None and missing:
                # this model only returns weights when asked: take them the standard way
                maps = None
                captured.clear()
                kwargs["output_attentions"] = True
                for handle in handles[-len(producers):]:
                    handle.remove()
                out = model(**kwargs)
    finally:
        for handle in handles:
            handle.remove()
    progress.check()
    if maps is None:
        if not out.attentions:
            raise ValueError("the model returned no attention weights (it needs eager attention)")
        maps = torch.stack([a[0] for a in out.attentions]).float()
    logits_last = None
    if causal and getattr(out, "logits", None) is not None:
        logits_last = out.logits[0, -1].float().cpu().numpy()
    hidden_last = torch.stack(captured).float().cpu().numpy() if hidden and captured else None
    return RawForward(maps, logits_last, hidden_last)


def head_entropy(attn, skip_first: bool = False) -> np.ndarray:
    """[L, H] mean row entropy in bits, from torch or numpy [L, H, T, T] (one layer at a time).

    skip_first: the first token left out (its row and its column), each row renormalised over the
    keys that remain, so a head that parks most weight on the first token is not "focused" for it.
    """
    import torch

    attn = torch.as_tensor(attn)
    with torch.inference_mode():
        rows = []
        for layer in attn:
            if skip_first:
                if layer.shape[-1] < 2:
                    rows.append(torch.zeros(layer.shape[0], device=layer.device))
                    continue
                rest = layer[:, 1:, 1:]
                layer = rest / rest.sum(-1, keepdim=True).clamp_min(1e-12)
            rows.append(torch.special.entr(layer).sum(-1).mean(-1))
    return (torch.stack(rows) / math.log(2)).cpu().numpy().astype(np.float32)


def head_statistics(attn, entropy: bool = True) -> HeadStats:
    """Previous-token and first-token attention per head (and entropy), from torch [L, H, T, T]."""
    import torch

    with torch.inference_mode():
        t = attn.shape[-1]
        if t > 1:
            idx = torch.arange(1, t, device=attn.device)
            previous = attn[:, :, idx, idx - 1].mean(-1)
            first = attn[:, :, 1:, 0].mean(-1)
        else:
            previous = torch.zeros(attn.shape[:2])
            first = torch.ones(attn.shape[:2])
        if t > 2:
            idx = torch.arange(2, t, device=attn.device)
            previous_rest = attn[:, :, idx, idx - 1].mean(-1)
        else:
            previous_rest = torch.zeros(attn.shape[:2])
    as_np = lambda x: x.cpu().numpy().astype(np.float32)  # noqa: E731
    return HeadStats(as_np(previous), as_np(first), head_entropy(attn) if entropy else None, as_np(previous_rest),
                     head_entropy(attn, skip_first=True) if entropy else None)


def extract_attention(model, tokenizer, text: str, *, model_id: str = "", causal: bool | None = None,
                      allowed: np.ndarray | None = None, hidden: bool = False, entropy: bool = True,
                      progress: Progress | None = None) -> AttentionResult:
    """Tokens and attention probabilities [L, H, T, T] for `text`, exactly as the model computes them.

    `allowed` (bool [T, T]) restricts which keys each query sees in every layer (local/sparse
    attention); it must match the text's token count.
    """
    progress = ensure(progress)
    causal = is_causal(model) if causal is None else causal
    ids, truncated = encode(tokenizer, text, model.config)
    return extract_attention_ids(model, tokenizer, ids, model_id=model_id, causal=causal, allowed=allowed,
                                 hidden=hidden, entropy=entropy, progress=progress, truncated_from=truncated)


def extract_attention_ids(model, tokenizer, ids: list[int], *, model_id: str = "", causal: bool,
                          allowed: np.ndarray | None = None, hidden: bool = False, entropy: bool = True,
                          progress: Progress | None = None, truncated_from: int | None = None,
                          on_device: bool = False) -> AttentionResult:
    """`extract_attention` for token ids; `on_device`: the maps stay a torch tensor where the model ran."""
    if allowed is not None and np.shape(allowed) != (len(ids), len(ids)):
        raise ValueError(f"the mask is {np.shape(allowed)} but the text has {len(ids)} tokens")
    raw = forward(model, ids, causal=causal, allowed=allowed, hidden=hidden and causal, progress=progress)
    # statistics where the maps are (on a GPU they cost next to nothing), then one copy to the CPU
    stats = head_statistics(raw.attentions, entropy=entropy)
    return AttentionResult(
        model_id=model_id, tokens=token_labels(tokenizer, ids), token_ids=list(ids),
        attentions=raw.attentions if on_device else raw.attentions.cpu().numpy(), causal=causal, num_kv_heads=num_kv_heads(model.config),
        stats=stats, allowed=None if allowed is None else np.asarray(allowed, dtype=bool),
        next_logits=raw.logits_last, hidden_last=raw.hidden_last, truncated_from=truncated_from)


def thumbnails(attentions, size: int = 48) -> np.ndarray:
    """Small [L, H, s, s] versions of every head's map (block maximum, so thin diagonals survive).

    `attentions`: numpy or a torch tensor (pooled where it is, on the GPU in the host); numpy out.
    """
    import torch

    layers, heads, t, _ = attentions.shape
    if t <= size:
        return _numpy(attentions)
    with torch.inference_mode():
        maps = attentions if isinstance(attentions, torch.Tensor) else torch.from_numpy(np.array(attentions))
        maps = maps.reshape(layers * heads, 1, t, t)
        small = torch.nn.functional.adaptive_max_pool2d(maps, size)
    return _numpy(small.view(layers, heads, size, size))


def thumbnail_size(pixels: tuple[int, int] | None, layers: int, heads: int, largest: int = 48) -> int:
    """The side of one thumbnail for a grid drawn `pixels` (width, height) large: no more than it shows."""
    if not pixels:
        return largest
    width, height = pixels
    return max(8, min(largest, int(math.ceil(min(width / max(1, heads), height / max(1, layers))))))


@dataclass
class Analysis:
    """Everything the attention pane shows for one (model, text): one forward pass."""

    result: AttentionResult
    thumbs: np.ndarray  # [L, H, s, s] for the model view
    config: object  # the model's transformers config (read-only use)
    lens: list | None = None  # generation.LensRow per layer (causal LMs)
    pieces: dict[int, str] = field(default_factory=dict)  # decoded text of the likeliest next tokens
    title: str = ""


def analyse(loaded, text: str, progress: Progress | None = None, top_pieces: int = 100, *,
            on_device: bool = False, grid_pixels: tuple[int, int] | None = None) -> Analysis:
    """Attention, thumbnails, next-token logits and the logit lens for `text` (worker thread).

    A text longer than `max_tokens` is analysed on its last tokens: the next token is the one
    after the end of the text.
    """
    ids, truncated = encode(loaded.tokenizer, text, loaded.model.config)
    return analyse_ids(loaded, ids, progress, top_pieces, truncated_from=truncated, on_device=on_device,
                       grid_pixels=grid_pixels)


def analyse_ids(loaded, ids: list[int], progress: Progress | None = None, top_pieces: int = 100,
                truncated_from: int | None = None, *, on_device: bool = False,
                grid_pixels: tuple[int, int] | None = None) -> Analysis:
    """`analyse` for token ids as they are (generation appends ids: they are never re-tokenized).

    on_device: the maps stay where the model ran (the host keeps them; the GUI asks for slices);
    grid_pixels: the size the head grid is drawn at, so thumbnails are pooled to no more than that.
    """
    from explorer.core.generation import logit_lens, piece

    progress = ensure(progress)
    model, tokenizer = loaded.model, loaded.tokenizer
    causal = bool((loaded.extras or {}).get("causal", is_causal(model)))
    result = extract_attention_ids(model, tokenizer, list(ids), model_id=loaded.entry.id, causal=causal,
                                   hidden=causal, entropy=False, progress=progress, truncated_from=truncated_from,
                                   on_device=on_device)
    lens = None
    pieces: dict[int, str] = {}
    if causal and result.next_logits is not None:
        if result.hidden_last is not None:
            try:
                lens = logit_lens(model, tokenizer, result.hidden_last)
            except ValueError:
                lens = None
        top = np.argsort(-result.next_logits)[:top_pieces]
        pieces = {int(i): piece(tokenizer, int(i)) for i in top}
    size = thumbnail_size(grid_pixels, result.num_layers, result.num_heads)
    return Analysis(result, thumbnails(result.attentions, size), model.config, lens, pieces, loaded.entry.title)
