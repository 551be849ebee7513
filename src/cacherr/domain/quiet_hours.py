"""Quiet hours: daily windows (``18:00-23:00``, ``23:30-06:00`` across midnight) in which no scheduled cycle runs.

Pure: the scheduler asks ``is_quiet`` with a local wall-clock time and ``next_allowed`` to skip fire times that fall
inside a window. Validated in settings, so a bad window is refused at start-up and when saved from the web.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """One daily window, start inclusive, end exclusive; ``start > end`` wraps past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietWindow:
        m = _WINDOW_RE.match(text)
        if not m:
            raise ValueError(f"{text!r}: expected a window like 18:00-23:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"{text!r}: hours go from 00 to 23 and minutes from 00 to 59")
        start, end = time(h1, m1), time(h2, m2)
        if start == end:
            raise ValueError(f"{text!r}: a window must not start and end at the same minute")
        return cls(start, end)

    def contains(self, t: time) -> bool:
        t = t.replace(second=0, microsecond=0, tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_windows(items: Iterable[str]) -> tuple[QuietWindow, ...]:
    return tuple(QuietWindow.parse(s) for s in items if s.strip())


def is_quiet(windows: Sequence[QuietWindow], local: datetime) -> bool:
    """Whether the local wall-clock time ``local`` falls in one of the windows."""
    t = local.timetz() if local.tzinfo else local.time()
    return any(w.contains(t) for w in windows)


def next_allowed(first: datetime | None, following: Callable[[datetime], datetime | None],
                 windows: Sequence[QuietWindow], limit: int = 10_000) -> datetime | None:
    """The first fire time from ``first`` on (then ``following(previous)``) that is outside every window.

    ``limit`` bounds the search (a schedule whose every run is quiet gives None, not a hang)."""
    current = first
    for _ in range(limit):
        if current is None or not is_quiet(windows, current):
            return current
        current = following(current)
    return None
