"""`llm-explorer attention --model ID --text TEXT --out FILE.npz`: every head's attention, as numbers.

The file holds `tokens` (strings, the model's default tokenization of TEXT)
and `attentions` (float32 [layers, heads, T, T], row = query, column = key,
exactly the model's attention probabilities). It loads with
`np.load(path, allow_pickle=False)`.
"""
from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("attention", help="write a model's attention weights for a text to .npz")
    parser.add_argument("--model", required=True, help="minilm, smollm2, or a Hugging Face id (online)")
    parser.add_argument("--text", required=True, help="the text; '-' reads it from standard input")
    parser.add_argument("--out", required=True, help=".npz file to write")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto", help="GPU when there is one, or CPU")
    parser.set_defaults(handler=run)


def load_text_model(model_id: str, device: str, want_causal: bool = False):
    """The loaded encoder or causal LM for `model_id` (CLI helper shared with next-token)."""
    from explorer.cli import CliError
    from explorer.models import catalogue, device as devices, loader

    entry = catalogue.find(model_id, "model")
    if entry.kind not in ("encoder", "causal-lm"):
        raise CliError(f"'{model_id}' is a {entry.kind} model, not a text encoder or language model")
    if want_causal and entry.kind != "causal-lm":
        raise CliError(f"'{model_id}' is an encoder: it does not predict a next token (try smollm2)")
    loaded = loader.load(entry, devices.resolve(device))
    if want_causal and not loaded.extras.get("causal"):
        raise CliError(f"'{model_id}' is not a causal language model: it does not predict a next token")
    return loaded


def read_text(value: str) -> str:
    from explorer.cli import CliError

    text = sys.stdin.read() if value == "-" else value
    if not text.strip():
        raise CliError("the text is empty")
    return text


def run(args) -> int:
    import numpy as np

    from explorer.cli import CliError, print_json
    from explorer.core.attention import extract_attention

    if not args.out.lower().endswith(".npz"):
        raise CliError("--out must be a .npz file")
    text = read_text(args.text)
    loaded = load_text_model(args.model, args.device)
    result = extract_attention(loaded.model, loaded.tokenizer, text, model_id=loaded.entry.id,
                               causal=bool(loaded.extras.get("causal")))
    if result.truncated_from:
        print(f"llm-explorer: the text has {result.truncated_from} tokens; kept the last {result.num_tokens}",
              file=sys.stderr)
    try:
        np.savez_compressed(args.out, tokens=np.array(result.tokens, dtype=str),
                            token_ids=np.array(result.token_ids, dtype=np.int64),
                            attentions=result.attentions.astype(np.float32, copy=False))
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print_json({"model": loaded.entry.id, "num_layers": result.num_layers, "num_heads": result.num_heads,
                "num_kv_heads": result.num_kv_heads, "num_tokens": result.num_tokens})
    return 0
