"""Operations of the model manager: what each catalogue entry's state is here, and Hub downloads.

Both touch huggingface_hub (the Hub cache walk, the download), which the GUI process never imports.
"""
from __future__ import annotations

from explorer.host.operations import operation


@operation("models.states")
def states(ctx, kind: str | None = None) -> dict[str, str]:
    """Each catalogue entry's state (of one kind, or all) as the model manager shows it, keyed "kind/id"
    (walks the Hub cache)."""
    from explorer.models import catalogue

    found = {}
    for entry in catalogue.entries(kind):
        ctx.check()
        found[f"{entry.kind}/{entry.id}"] = entry_state(entry)
    return found


def entry_state(entry) -> str:
    """"installed" / "missing" for entries that come with the app, "cached" / "needs download" for Hub ones."""
    from explorer.models import catalogue

    available = catalogue.is_available(entry)
    if not entry.offline:
        return "cached" if available else "needs download"
    if available and entry.id == "mini-clip":
        from explorer.models.image_text import mini_clip_copies

        # the user's retrained copy wins over the one shipped with the app
        copies = mini_clip_copies()
        return "installed (trained here)" if copies and copies[0].origin == "user" else "installed (shipped)"
    return "installed" if available else "missing"


@operation("models.download")
def download(ctx, *, hub_id: str, kind: str) -> str:
    """Download (or find cached) a Hub snapshot with byte progress; cancellable between chunks. Returns its folder."""
    from explorer.models import hub

    return str(hub.download(hub_id, kind, ctx))
