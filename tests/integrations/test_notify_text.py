"""The pure message text: sizes, durations, titles and severities, table-driven."""

from __future__ import annotations

import pytest

from cacherr.domain.report import OpOutcome
from cacherr.domain.units import human_bytes
from cacherr.services.notify_text import (
    MAX_LISTED,
    cycle_severity,
    format_cycle_summary,
    format_operation,
    human_duration,
)

from .test_notify_apprise import GB, quiet_report, report


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 * 1024**2, "5.0 MB"), (GB, "1.0 GB"),
    (3 * 1024**4, "3.0 TB"), (2048 * 1024**4, "2048.0 TB"), (-5, "0 B"),
])
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0.0s"), (4.24, "4.2s"), (42, "42s"), (75, "1m 15s"), (3700, "1h 1m"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(("kw", "title", "severity"), [
    ({}, "Cacherr cycle: 1 cached, 1 given back, 1 failed", "warning"),
    ({"status": "ok", "failed": (), "problems": ()}, "Cacherr cycle: 1 cached, 1 given back", "success"),
    ({"status": "dry-run", "dry_run": True, "failed": (), "problems": ()},
     "Cacherr dry run: 1 cached, 1 given back", "success"),
    ({"status": "skipped", "message": "someone is watching", "cached": (), "restored": (), "failed": (),
      "problems": ()}, "Cacherr cycle skipped", "info"),
    ({"status": "failed", "cached": (), "restored": (), "failed": ()}, "Cacherr cycle failed", "failure"),
])
def test_titles_and_severity(kw: dict[str, object], title: str, severity: str) -> None:
    rep = report(**kw)
    assert format_cycle_summary(rep)[0] == title
    assert cycle_severity(rep) == severity


def test_quiet_cycle_says_nothing_to_do() -> None:
    title, body = format_cycle_summary(quiet_report())
    assert title == "Cacherr cycle: nothing to do"
    assert "0 B moved" in body


def test_dry_run_says_would_move() -> None:
    assert "would move" in format_cycle_summary(report(dry_run=True, status="dry-run"))[1]


def test_long_lists_are_cut() -> None:
    many = tuple(OpOutcome("cache", f"Movie {i}", f"/c/{i}.mkv", GB, True) for i in range(MAX_LISTED + 5))
    body = format_cycle_summary(report(cached=many))[1]
    assert f"Cached ({MAX_LISTED + 5}, {human_bytes((MAX_LISTED + 5) * GB)}):" in body
    assert "Movie 9" in body and "Movie 10" not in body and "... and 5 more" in body


def test_operation_texts() -> None:
    title, body, severity = format_operation(OpOutcome("restore", "Heat", "/a/Heat.mkv", GB, False))
    assert (title, severity) == ("Cacherr: Failed to give back Heat", "failure")
    assert "Error: unknown error" in body
