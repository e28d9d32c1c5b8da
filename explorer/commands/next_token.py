"""`llm-explorer next-token --model ID --text TEXT --top-k K [--json]`: the most likely next tokens."""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "next-token", help="a language model's most likely next tokens for a text",
        description="The most likely tokens after the END of a text. A text longer than the model's window keeps "
        "its last tokens (SmolLM2: 1,178); the JSON says how many the prediction saw (context_tokens) and "
        "whether the text was cut (truncated).")
    parser.add_argument("--model", default="smollm2",
                        help="smollm2 (the offline 4-bit copy), smollm2-hub (the original weights, online) "
                             "or a Hugging Face causal LM id (online)")
    parser.add_argument("--text", required=True, help="the text; '-' reads it from standard input")
    parser.add_argument("--top-k", type=int, default=10, help="how many candidates (default 10)")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError, print_json
    from explorer.commands.attention import load_text_model, read_text
    from explorer.core.generation import candidates, next_token

    if args.top_k < 1:
        raise CliError("--top-k must be at least 1")
    text = read_text(args.text)
    loaded = load_text_model(args.model, args.device, want_causal=True)
    prediction = next_token(loaded.model, loaded.tokenizer, text)
    logits = prediction.logits
    found = candidates(loaded.tokenizer, logits, k=min(args.top_k, logits.size))
    rows = [{"token": c.token, "id": c.id, "prob": c.raw_prob} for c in found]
    if args.json:
        print_json({"candidates": rows, "context_tokens": prediction.context_tokens,
                    "truncated": prediction.truncated})
        return 0
    if prediction.truncated:
        print(f"(the text has {prediction.total_tokens:,} tokens: the prediction saw the last "
              f"{prediction.context_tokens:,})")
    for rank, row in enumerate(rows, 1):
        print(f"{rank:>3}. {row['prob']:7.2%}  {row['token']!r}  (id {row['id']})")
    return 0
