"""Human-readable numbers and dates for labels."""
from __future__ import annotations

import html
from datetime import datetime

from ..core.capture_date import describe_source
from . import style


def file_size(n: int | None) -> str:
    if not n:
        return "—"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {s:02d}s"
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m:02d}m"


def date_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def gps(value: tuple[float, float] | None) -> str:
    if not value:
        return "—"
    lat, lon = value
    return f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"


def camera(make: str | None, model: str | None) -> str:
    make, model = (make or "").strip(), (model or "").strip()
    if make and model.lower().startswith(make.lower()):
        return model
    return " ".join(p for p in (make, model) if p) or "—"


def date_with_source(doc) -> str:
    """The detail panel's Date: the wall-clock time (with the camera's UTC offset when it wrote
    one) and, in small muted type under it, where the date came from (rich text)."""
    when = doc.taken_at
    if when is None:
        return "—"
    text = when.strftime("%Y-%m-%d %H:%M")
    offset = when.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        text += f"  UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    source = describe_source(doc.taken_at_source)
    if not source:
        return text
    return (f"{text}<br><span style='color:{style.TEXT_MUTED}; font-size:8.5pt'>{html.escape(source)}</span>")
