"""`llm-explorer list [--json] [--kind KIND]`: the catalogue and what is usable here."""
from __future__ import annotations

from explorer.models import catalogue


def register(subparsers) -> None:
    parser = subparsers.add_parser("list", help="list models, tokenizers and vectors, and whether they are usable")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--kind", choices=catalogue.KINDS, help="only this kind")
    parser.set_defaults(handler=run)


def run(args) -> int:
    rows = [entry.to_json() for entry in catalogue.entries(args.kind)]
    if args.json:
        from explorer.cli import print_json

        print_json(rows)
        return 0
    for row in rows:
        where = "offline" if row["offline"] else "Hub"
        state = "available" if row["available"] else ("needs download" if not row["offline"] else "missing")
        if row["available"] and row["id"] == "mini-clip":
            state = _mini_clip_state()
        print(f"{row['kind']:13} {row['id']:18} {where:8} {state:24} {row['licence']:28} {row['title']}")
    return 0


def _mini_clip_state() -> str:
    """The user's retrained copy wins over the one shipped with the app."""
    from explorer.models.image_text import mini_clip_copies

    copies = mini_clip_copies()
    return "available (trained here)" if copies and copies[0].origin == "user" else "available (shipped)"
