"""The server's half of the one clock (static/clock.js): the configured TZ and its offset for the page, and
``<time>`` elements whose text (before the script runs, or without it) is the local time in that TZ."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def offset_minutes(name: str, now: datetime | None = None) -> int:
    """The zone's offset from UTC now, in minutes east (for a browser that does not know the zone)."""
    delta = (now or datetime.now(UTC)).astimezone(zone(name)).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0


def local_text(iso: str | None, tz: str) -> str:
    """``2026-12-02 14:05:09 CET`` for an ISO time (naive times are UTC); the input itself if unreadable."""
    if not iso:
        return "\u2013"
    try:
        when = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


def time_tag(iso: str | None, tz: str) -> Markup:
    """``<time datetime=... data-clock>`` rendered by clock.js as "5 min ago" with the local time on hover."""
    if not iso:
        return Markup("\u2013")
    text = local_text(iso, tz)
    return Markup('<time datetime="{}" data-clock title="{}">{}</time>').format(escape(iso), text, text)
