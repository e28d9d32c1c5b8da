"""`llm-explorer attention --model ID --text TEXT --out FILE.npz [--layers L] [--heads H] [--float16]`.

Every head's attention for a text, as numbers. The file holds `tokens`
(strings, the model's default tokenization of TEXT), `token_ids`, `layers` and
`heads` (the indices kept, int64) and `attentions` ([layers, heads, T, T],
row = query, column = key, exactly the model's attention probabilities;
float32, or float16 with --float16). It loads with
`np.load(path, allow_pickle=False)`.

The file grows as layers x heads x T^2: SmolLM2 on a 1,000-token text is 1 GB
of float32 before compression. Before the forward pass, a line on stderr says
how large it will be; `--layers 0,5` and `--heads 0-3` keep only those (lists of
indices and ranges, counted from 0), and `--float16` halves it. With --json
that line is left out unless --progress asks for it; the summary on stdout is
JSON either way.

Everything that can be checked without the model (the text, the output path,
the --layers/--heads syntax) is checked before it loads; indices past the
model's own layer or head count are refused right after.
"""
from __future__ import annotations

import sys

from explorer.commands._text_input import read_text  # noqa: F401 - the shared text input (next-token, generate)

# the largest index --layers / --heads accept before the model is known (no model has more)
MAX_INDEX = 9_999


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "attention", help="write a model's attention weights for a text to .npz",
        description="Write every head's attention probabilities for a text to a .npz file. The file grows as "
                    "layers x heads x tokens^2 (SmolLM2, 1,000 tokens: about 1 GB of float32 before "
                    "compression); a line on stderr says how large it will be. Choose layers and heads and "
                    "--float16 to keep it small.")
    parser.add_argument("--model", required=True,
                        help="minilm, smollm2 (the offline 4-bit copy), smollm2-hub (the original weights, "
                             "online) or a Hugging Face id (online)")
    parser.add_argument("--text", required=True,
                        help="the text; '-' reads it from standard input (UTF-8, at most 10 MB)")
    parser.add_argument("--out", required=True, help=".npz file to write (in a folder that exists)")
    parser.add_argument("--layers", metavar="LIST", help="only these layers, counted from 0: e.g. 0,5 or 0-3,11 "
                        "(default: all)")
    parser.add_argument("--heads", metavar="LIST", help="only these heads in each layer, counted from 0: e.g. 0-3 "
                        "(default: all)")
    parser.add_argument("--float16", action="store_true", help="store half-precision numbers (half the size)")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto", help="GPU when there is one, or CPU")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary (the default output) "
                        "and nothing on stderr")
    parser.add_argument("--progress", action="store_true", help="with --json, still say on stderr how large the "
                        "file will be")
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


def parse_indices(value: str | None, option: str) -> list[int] | None:
    """'0,5' / '0-3,11' -> sorted unique indices; None (all) when not given. Refuses bad syntax in one line."""
    from explorer.cli import CliError

    if value is None:
        return None
    chosen = bytearray(MAX_INDEX + 1)  # a mark per index: ranges repeated thousands of times cost nothing
    for part in value.split(","):
        part = part.strip()
        first, dash, last = part.partition("-")
        if not first.isascii() or not first.isdigit() or (dash and (not last.isascii() or not last.isdigit())):
            raise CliError(f"{option} takes indices counted from 0, like 0,5 or 0-3 (not '{value}')")
        if len(first) > 4 or len(last) > 4:
            raise CliError(f"{option}: indices go up to {MAX_INDEX}")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise CliError(f"{option}: the range {part} runs backwards")
        chosen[low:high + 1] = b"\x01" * (high + 1 - low)
    return [i for i, mark in enumerate(chosen) if mark]


def _check_within(indices: list[int] | None, count: int, option: str, what: str) -> list[int]:
    from explorer.cli import CliError

    if indices is None:
        return list(range(count))
    if indices[-1] >= count:
        raise CliError(f"{option}: the model has {count} {what} (0-{count - 1}), so {indices[-1]} is not one")
    return indices


def human_bytes(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"


def run(args) -> int:
    import numpy as np

    from explorer.cli import print_json
    from explorer.commands._paths import check_output_file, write_output
    from explorer.core.attention import encode, extract_attention_ids

    out = check_output_file(args.out, ".npz")
    layers_wanted = parse_indices(args.layers, "--layers")
    heads_wanted = parse_indices(args.heads, "--heads")
    text = read_text(args.text)
    loaded = load_text_model(args.model, args.device)
    config = loaded.model.config
    layers = _check_within(layers_wanted, int(config.num_hidden_layers), "--layers", "layers")
    heads = _check_within(heads_wanted, int(config.num_attention_heads), "--heads", "heads per layer")
    ids, truncated_from = encode(loaded.tokenizer, text, config)
    dtype = np.float16 if args.float16 else np.float32
    size = len(layers) * len(heads) * len(ids) ** 2 * np.dtype(dtype).itemsize
    talk = not args.json or args.progress
    if talk:
        if truncated_from:
            print(f"llm-explorer: the text has {truncated_from:,} tokens; the file holds {len(ids):,} of them "
                  f"(the most {loaded.entry.id} analyses at once)", file=sys.stderr)
        print(f"llm-explorer: writing {len(layers)} layers x {len(heads)} heads x {len(ids):,} x {len(ids):,} "
              f"tokens ({np.dtype(dtype).name}): {human_bytes(size)} before compression", file=sys.stderr, flush=True)
    result = extract_attention_ids(loaded.model, loaded.tokenizer, ids, model_id=loaded.entry.id,
                                   causal=bool(loaded.extras.get("causal")), entropy=False,
                                   truncated_from=truncated_from)
    # index layers first, then heads: one copy of the kept maps, not of the whole stack
    attentions = result.attentions[layers][:, heads].astype(dtype, copy=False)
    write_output(out, lambda tmp: np.savez_compressed(
        tmp, tokens=np.array(result.tokens, dtype=str), token_ids=np.array(result.token_ids, dtype=np.int64),
        layers=np.array(layers, dtype=np.int64), heads=np.array(heads, dtype=np.int64), attentions=attentions))
    summary = {"model": loaded.entry.id, "num_layers": result.num_layers, "num_heads": result.num_heads,
               "num_kv_heads": result.num_kv_heads, "num_tokens": result.num_tokens}
    if layers_wanted is not None or heads_wanted is not None or args.float16:
        summary.update(layers=layers, heads=heads, dtype=np.dtype(dtype).name)
    if truncated_from:
        summary["truncated_from"] = truncated_from
    print_json(summary)
    return 0
