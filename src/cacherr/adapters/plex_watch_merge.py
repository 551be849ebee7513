"""Every user's watched state of a snapshot's items, item by item (pure; ``plex_incremental`` runs it).

A user's watched state is read for the tracked keys and their own wants (the owner's: every item). What
is stored (``WatchState`` per item) is merged with what this read learnt, freshest last: the play history
raises a count to at least 1, On Deck's view counts replace it, and counts read now replace those. Work
is O(items + changes), not O(users x items): items share their states and their sets of users, and set
operations on shared frozensets are remembered.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from cacherr.ports import WatchState

NOBODY: frozenset[str] = frozenset()


def needs(others: Collection[str], items: Collection[str], tracked: Iterable[str],
          wants: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """rating key -> the other (non-owner) users whose watched state of it is read: all of them for a
    tracked key, the wanting user for a want. Keys outside ``items`` are left out."""
    everyone = frozenset(others)
    out: dict[str, frozenset[str]] = dict.fromkeys((k for k in tracked if k in items), everyone) if everyone else {}
    wanted: dict[str, set[str]] = {}
    for user, key in wants:
        if user in everyone and key in items:
            wanted.setdefault(key, set()).add(user)
    shared: dict[frozenset[str], frozenset[str]] = {everyone: everyone}
    for key, users in wanted.items():
        fs = out.get(key, NOBODY) | users
        out[key] = shared.setdefault(fs, fs)
    return out


def unknown(need: Mapping[str, frozenset[str]], stored: Mapping[str, WatchState]) -> dict[str, list[str]]:
    """user -> the keys whose state this read needs for them and nothing stored has."""
    out: dict[str, list[str]] = {}
    memo: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}
    for key, users in need.items():
        st = stored.get(key)
        known = st.known if st is not None else NOBODY
        missing = memo.get((users, known))
        if missing is None:
            missing = memo[(users, known)] = users - known
        for user in missing:
            out.setdefault(user, []).append(key)
    return out


def changes(stored: Mapping[str, WatchState], user: str, finished: Iterable[str], seen: Mapping[str, int],
            counts: Mapping[str, int]) -> dict[str, int]:
    """key -> view count to store for ``user``: finished (history) where not already watched, then On Deck's
    counts, then the counts read now."""
    out: dict[str, int] = {}
    for key in finished:
        st = stored.get(key)
        if st is None or user not in st.watched:
            out[key] = 1
    out.update(seen)
    out.update(counts)
    return out


@dataclass(frozen=True, slots=True)
class Merged:
    watched_by: dict[str, frozenset[str]]  # key -> who watched it (only keys someone watched)
    rows: list[tuple[str, str, int]]  # (user, key, view count) to store


def merge(owner: str, items: Collection[str], need: Mapping[str, frozenset[str]],
          stored: Mapping[str, WatchState], changed: Mapping[str, Mapping[str, int]],
          failed: Collection[str]) -> Merged:
    """Who watched each item: the stored state and ``changed`` (user -> key -> count), for the users whose
    state of it is read (``need``, and the owner for every item), less users whose read ``failed`` (they
    count as unread; nothing is stored for them)."""
    lost = frozenset(failed)
    read_by, watched_by = _stored(owner, items, need, stored, lost)
    rows: list[tuple[str, str, int]] = []
    by_key: dict[str, list[tuple[str, int]]] = {}
    for user, counts in changed.items():
        if user in lost:
            continue
        for key, n in counts.items():
            rows.append((user, key, n))
            if key in read_by and user in read_by[key]:
                by_key.setdefault(key, []).append((user, n))
    for key, pairs in by_key.items():
        now = set(watched_by.get(key, NOBODY))
        now.update(user for user, n in pairs if n > 0)
        now.difference_update(user for user, n in pairs if n <= 0)
        if now:
            watched_by[key] = frozenset(now)
        else:
            watched_by.pop(key, None)
    return Merged(watched_by, rows)


def _stored(owner: str, items: Collection[str], need: Mapping[str, frozenset[str]],
            stored: Mapping[str, WatchState], lost: frozenset[str]
            ) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """key -> whose state of it is read; key -> who of them watched it, as stored."""
    reads: dict[frozenset[str], frozenset[str]] = {}  # need -> need - failed + owner
    memo: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}
    watched_by: dict[str, frozenset[str]] = {}
    read_by: dict[str, frozenset[str]] = {}
    for key in items:
        users = need.get(key, NOBODY)
        readers = reads.get(users)
        if readers is None:
            readers = reads[users] = (users - lost) | {owner}
        read_by[key] = readers
        st = stored.get(key)
        if st is None or not st.watched:
            continue
        base = memo.get((st.watched, readers))
        if base is None:
            base = memo[(st.watched, readers)] = st.watched & readers
        if base:
            watched_by[key] = base
    return read_by, watched_by
