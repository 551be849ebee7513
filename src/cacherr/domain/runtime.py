"""Prefetch by runtime (``EPISODES_AHEAD_MINUTES``): how many upcoming episodes make up M minutes.

Pure. Shared by the Plex adapter (which fetches enough episodes) and the planner's library rules (which keep
exactly those), so both count the same way. An episode whose duration Plex does not say counts as
``UNKNOWN_MINUTES``.
"""

from __future__ import annotations

from collections.abc import Iterable

UNKNOWN_MINUTES = 30.0
MAX_AHEAD = 100  # never more episodes than NUMBER_EPISODES may ask for


def minutes_of(duration_ms: int | None) -> float:
    return duration_ms / 60_000 if duration_ms and duration_ms > 0 else UNKNOWN_MINUTES


def episodes_for(durations_ms: Iterable[int | None], minutes: float) -> int:
    """How many of the upcoming episodes (durations in order, ms) are needed to reach ``minutes``: the
    fewest whose sum is at least ``minutes``, at least one (when there is one), at most ``MAX_AHEAD``."""
    if minutes <= 0:
        return 0
    total, n = 0.0, 0
    for duration in durations_ms:
        if n >= MAX_AHEAD or (n and total >= minutes):
            break
        total += minutes_of(duration)
        n += 1
    return n
