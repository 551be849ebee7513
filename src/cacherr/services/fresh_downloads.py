"""The cycle's side of fresh downloads and upgrades (see planning.fresh): which adopted files stay the mover's,
which registry rows of upgraded (replaced) files are gone, and releasing fresh downloads whose days are up.

Only the registry changes here; no file is touched. The disk is asked only about cache paths of rows that
Plex's item no longer lists (an upgrade), never about the array.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from cacherr.domain.cache import CacheEntry
from cacherr.domain.media import Reason, Snapshot
from cacherr.planning.fresh import sort_fresh, superseded
from cacherr.ports import DiskProbe
from cacherr.services.cache_scan import Adoption

RECHECK = timedelta(hours=6)  # a fresh download left to the mover is looked at again after this


class MoverFiles:
    """Cache paths left to the mover: fresh downloads nobody watches, looked at again after ``RECHECK`` (someone
    may start the show)."""

    def __init__(self) -> None:
        self._left: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def skip(self, now: datetime) -> set[str]:
        with self._lock:
            self._left = {p: w for p, w in self._left.items() if now - w < RECHECK}
            return set(self._left)

    def leave(self, paths: Collection[str], now: datetime) -> None:
        with self._lock:
            self._left.update((p, now) for p in paths)


def sort_adoption(adoption: Adoption, snapshot: Snapshot, days: int, now: datetime, mover: MoverFiles) -> Adoption:
    """The adoption with fresh downloads sorted: kept (a show being watched), or left to the mover."""
    out = sort_fresh(adoption.entries, adoption.items, snapshot, timedelta(days=days), now)
    mover.leave(out.left_to_mover, now)
    return replace(adoption, entries=out.adopted)


def gone_upgrades(entries: Sequence[CacheEntry], snapshot: Snapshot, disk: DiskProbe) -> list[CacheEntry]:
    """Rows of files replaced in Plex (an upgrade) whose cache copy is gone: nothing is left to give back."""
    return [e for e in superseded(entries, snapshot) if not disk.exists(e.cache_path)]


def notes(upgraded: Sequence[CacheEntry], entries: Sequence[CacheEntry], snapshot: Snapshot,
          adopted: Sequence[CacheEntry], days: int) -> list[str]:
    """The cycle's problem lines about upgrades and adopted files."""
    del entries, snapshot  # same-name upgrades: services.upgrades
    out = [upgrade_note(upgraded)] if upgraded else []
    fresh = sum(e.reason is Reason.FRESH_DOWNLOAD for e in adopted)
    if fresh:
        out.append(f"{fresh} fresh download(s) of shows being watched kept on the cache for {days} day(s) "
                   "(FRESH_DOWNLOAD_DAYS); no copy made")
    if len(adopted) > fresh:
        out.append(f"found {len(adopted) - fresh} file(s) already on the cache; tracked as pre-existing (they go "
                   "back once watched)")
    return out


def upgrade_note(gone: Sequence[CacheEntry]) -> str:
    names = ", ".join(e.title or e.cache_path for e in gone[:5]) + (" ..." if len(gone) > 5 else "")
    return (f"{len(gone)} cached file(s) were replaced by a new file in Plex (Sonarr/Radarr upgrade) and are gone; "
            f"no longer tracked: {names}")
