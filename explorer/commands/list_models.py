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
        state = "available" if row["available"] else (
            "needs download" if not row["offline"] else "not trained yet" if row["source"].startswith("local:") else "missing")
        print(f"{row['kind']:13} {row['id']:18} {where:8} {state:15} {row['licence']}")
    return 0
