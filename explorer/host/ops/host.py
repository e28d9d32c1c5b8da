"""Operations about the host itself: the device it computes on."""
from __future__ import annotations

from explorer.host.operations import operation


@operation("host.set_device")
def set_device(ctx, preference: str) -> str:
    """Switch between "auto" (GPU if any) and "cpu"; returns the device's label for the status bar."""
    from explorer.models import device as devices

    if preference not in ("auto", "cpu"):
        raise ValueError(f"unknown device preference {preference!r} (auto or cpu)")
    ctx.models.set_preference(preference)
    return devices.label(ctx.models.device)
