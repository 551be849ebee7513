"""What holds work back for a while: quiet hours (settings ``QUIET_HOURS``) and Unraid's running mover.

Scheduled cycles skip a quiet window; real-time caching does too unless ``QUIET_HOURS_REALTIME`` allows it; both
wait for the mover. Manual cycles ignore quiet hours (the person asked) but not the mover.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cacherr.domain.quiet_hours import is_quiet, parse_windows
from cacherr.settings import Settings


def local_time(settings: Settings, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(settings.TZ))


def quiet_reason(settings: Settings, now: datetime) -> str | None:
    """Why ``now`` is inside quiet hours, or None."""
    windows = parse_windows(settings.QUIET_HOURS)
    local = local_time(settings, now)
    if not is_quiet(windows, local):
        return None
    return f"quiet hours ({', '.join(settings.QUIET_HOURS)}; now {local:%H:%M} {settings.TZ})"


def realtime_held_back(settings: Settings, now: datetime, mover: str | None) -> str | None:
    """Why real-time caching must not start now, or None."""
    if mover:
        return mover
    if settings.QUIET_HOURS_REALTIME:
        return None
    return quiet_reason(settings, now)
