"""`llm-explorer generate --model ID --text TEXT --max-new-tokens N [...] --json`: new tokens, as ids.

Generation stays in token ids: each chosen id is appended to the ids (never decoded and
re-tokenized), with the model's key/value cache. Temperature 0 (the default) is greedy and gives
the same ids as transformers' `model.generate(input_ids, do_sample=False, max_new_tokens=N)`.
"""
from __future__ import annotations

import argparse

from explorer.core.generation import MAX_NEW_TOKENS

EPILOG = ("JSON: prompt_ids (the ids the model saw: the LAST tokens of a long text), new_ids (an end-of-sequence "
          "id that stopped it is included, as transformers includes it), text (the continuation decoded from "
          "new_ids with the tokenizer, special tokens included; a character cut off by the limit reads U+FFFD), "
          "steps (per new token: id, piece = the token's own bytes, with bytes that are part of a character shown "
          "as <F0 9F>, prob = the model's probability of it at temperature 1, before top-k/top-p), "
          "context_tokens, truncated, stopped_at_eos.")


def _bounded_int(low: int, high: int | None):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
        if number < low or (high is not None and number > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {number}")
        return number
    return parse


def _float_within(accepts, bound: str):
    """An argparse type: a number that `accepts(number)`, else "must be <bound>" (NaN is never accepted)."""
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, not {value!r}") from None
        if not accepts(number):
            raise argparse.ArgumentTypeError(f"must be {bound}, not {value}")
        return number
    return parse


_temperature = _float_within(lambda t: 0 <= t <= 100, "0 (greedy) or above, at most 100")
_top_p = _float_within(lambda p: 0 < p <= 1, "above 0 and at most 1")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="continue a text with a language model, token id by token id",
        description="Continue the END of a text with a causal language model. A text longer than the model's "
        "window keeps its last tokens (SmolLM2: 1,178, fewer when prompt + new tokens would pass its context).",
        epilog=EPILOG)
    parser.add_argument("--model", default="smollm2",
                        help="smollm2 (the offline 4-bit copy), smollm2-hub (the original weights, online) "
                             "or a Hugging Face causal LM id (online)")
    parser.add_argument("--text", required=True, help="the prompt; '-' reads it from standard input")
    parser.add_argument("--max-new-tokens", type=_bounded_int(1, MAX_NEW_TOKENS), required=True,
                        help=f"how many tokens at most (1 to {MAX_NEW_TOKENS}); fewer when the model ends the text")
    parser.add_argument("--temperature", type=_temperature, default=0.0,
                        help="0 = greedy, the most likely token each time (default); above 0 = sampling")
    parser.add_argument("--top-k", type=_bounded_int(0, None), default=0,
                        help="sample only from the K most likely tokens (0 = off, the default)")
    parser.add_argument("--top-p", type=_top_p, default=1.0,
                        help="sample only from the likeliest tokens whose mass reaches P (1 = off, the default)")
    parser.add_argument("--seed", type=_bounded_int(0, 2**63 - 1), default=None,
                        help="random seed for sampling: the same seed gives the same tokens")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto")
    parser.add_argument("--json", action="store_true", help="print JSON (see below)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import print_json
    from explorer.commands.attention import load_text_model, read_text
    from explorer.core.generation import SamplingSettings, generate_text

    text = read_text(args.text)
    settings = SamplingSettings(temperature=args.temperature or 1.0, top_k=args.top_k, top_p=args.top_p,
                                greedy=args.temperature == 0, seed=args.seed)
    loaded = load_text_model(args.model, args.device, want_causal=True)
    found = generate_text(loaded.model, loaded.tokenizer, text, args.max_new_tokens, settings)
    if args.json:
        print_json(found.to_json())
        return 0
    print(found.text)
    return 0
