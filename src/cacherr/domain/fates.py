"""Closed sets of outcomes, as enums whose values are the strings stored and shown (never change a value:
the journal, cycle records, the API and stored history read them).

- ``Fate``: what the planner decides for cached media nobody wants now.
- ``CopyFailure``: why a copy did not produce a verified temp file (``fileops.copy.CopyFailed.reason``).
"""

from __future__ import annotations

from enum import StrEnum


class Fate(StrEnum):
    BACK = "back"  # given back to the array now (watched, or idle past retention), with its why
    IDLE = "idle"  # left every wanted list within retention: kept, evicted first when space is needed
    FOUND = "found"  # was already on the cache, nobody has watched it yet: kept, evictable
    KEPT = "kept"  # a fresh download within FRESH_DOWNLOAD_DAYS: kept away from the mover


class CopyFailure(StrEnum):
    SOURCE_GONE = "source_gone"  # the source vanished before or during the copy
    SOURCE_CHANGED = "source_changed"  # the source was written to or replaced since it was checked
    VERIFY_FAILED = "verify_failed"  # the copy's size or content hash differs from the source's
    NO_SPACE = "no_space"  # the destination filled up
    PERMISSION = "permission"  # the copy could not be written or given its owner
    IO = "io"  # any other I/O error
    NOT_REGULAR = "not_regular"  # the source is not a regular file
    STOPPING = "stopping"  # Cacherr is stopping: the copy was abandoned

    @property
    def rolls_back(self) -> bool:
        """The source moved on or Cacherr stopped: nothing is wrong, the operation is rolled back and
        redone next cycle (the others are failures)."""
        return self in (CopyFailure.SOURCE_GONE, CopyFailure.SOURCE_CHANGED, CopyFailure.STOPPING)
