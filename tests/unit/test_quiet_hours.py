"""Quiet hours: windows parsed strictly, wrap past midnight, and fire times inside a window are skipped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from cacherr.domain.errors import ConfigError
from cacherr.domain.quiet_hours import QuietWindow, is_quiet, next_allowed, parse_windows
from cacherr.scheduler import trigger_for
from cacherr.settings import Schedule, build_settings


@pytest.mark.parametrize(("window", "inside", "outside"), [
    ("18:00-23:00", [time(18, 0), time(22, 59)], [time(17, 59), time(23, 0), time(3, 0)]),
    ("23:30-06:00", [time(23, 30), time(0, 0), time(5, 59)], [time(6, 0), time(12, 0), time(23, 29)]),
    ("0:00-1:00", [time(0, 30)], [time(1, 0)]),
])
def test_window_contains(window: str, inside: list[time], outside: list[time]) -> None:
    w = QuietWindow.parse(window)
    assert all(w.contains(t) for t in inside)
    assert not any(w.contains(t) for t in outside)


@pytest.mark.parametrize("bad", ["18-23", "24:00-01:00", "10:60-11:00", "10:00-10:00", "evening"])
def test_bad_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="window|hours|same minute"):
        QuietWindow.parse(bad)


def test_a_bad_quiet_hours_setting_names_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        build_settings({"QUIET_HOURS": "18:00-23:00,25:00-26:00", "PLEX_TOKEN": "abcdefgh12"}, {})
    assert "QUIET_HOURS" in str(info.value) and "25:00-26:00" in str(info.value)
    ok = build_settings({"QUIET_HOURS": " 18:00 - 23:00 , 2:00-3:00", "PLEX_TOKEN": "abcdefgh12"}, {})
    assert ok.QUIET_HOURS == ["18:00-23:00", "02:00-03:00"]


def test_next_allowed_skips_quiet_fire_times() -> None:
    trigger = trigger_for(Schedule.parse("every 30m"), "Etc/UTC")
    assert trigger is not None
    start = datetime(2026, 1, 1, 17, 30, tzinfo=UTC)
    windows = parse_windows(["18:00-23:00"])

    def following(prev: datetime) -> datetime | None:
        nxt: datetime | None = trigger.get_next_fire_time(prev, prev + timedelta(seconds=1))
        return nxt

    assert next_allowed(start, following, windows) == start
    assert next_allowed(start + timedelta(minutes=30), following, windows) == datetime(2026, 1, 1, 23, 0, tzinfo=UTC)
    assert is_quiet(windows, datetime(2026, 1, 1, 19, 0, tzinfo=UTC))


def test_a_schedule_that_is_always_quiet_gives_none_not_a_hang() -> None:
    windows = parse_windows(["00:00-12:00", "12:00-00:00"])
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert next_allowed(start, lambda t: t + timedelta(hours=1), windows, limit=100) is None
