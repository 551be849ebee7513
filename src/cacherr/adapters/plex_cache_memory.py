"""The in-memory copy of ``SqlitePlexCache``'s tables, kept between cycles of one process (docs/plex.md).

A steady-state snapshot needs every cached item and every user's watched state of it. Decoding them from
SQLite each cycle (10,000 items x 50 users: 500,000 rows) cost more than the Plex requests; so the store
loads them once (one grouped query, paged), then keeps this copy in step with every write it makes.

Watched state is kept per item, not per user: ``WatchState(known users, users who watched)``, and equal
states are one shared object (after a full read nearly every item has the same one). Memory is O(items),
whatever the number of users.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cacherr.ports import KnownItem, WatchState


@dataclass
class PlexCacheMemory:
    """``items`` (known), ``gone`` (keys Plex had nothing for), ``watch`` (rating key -> state)."""

    items: dict[str, KnownItem] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    watch: dict[str, WatchState] = field(default_factory=dict)
    _shared: dict[WatchState, WatchState] = field(default_factory=dict)
    _names: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def names(self, users: Iterable[str]) -> frozenset[str]:
        """One shared frozenset per distinct set of user names."""
        fs = frozenset(users)
        return self._names.setdefault(fs, fs)

    def state(self, known: frozenset[str], watched: frozenset[str]) -> WatchState:
        st = WatchState(self.names(known), self.names(watched))
        return self._shared.setdefault(st, st)

    def put_items(self, items: Iterable[KnownItem], forget: Iterable[str]) -> None:
        for k in forget:
            self.items.pop(k, None)
            self.gone.add(k)
        for known in items:
            self.items[known.item.key] = known
            self.gone.discard(known.item.key)

    def put_rows(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Apply (user, rating key, view count) rows."""
        by_key: dict[str, list[tuple[str, int]]] = {}
        for user, key, count in rows:
            by_key.setdefault(key, []).append((user, count))
        for key, changes in by_key.items():
            old = self.watch.get(key)
            known = set(old.known) if old is not None else set()
            watched = set(old.watched) if old is not None else set()
            for user, count in changes:
                known.add(user)
                if count > 0:
                    watched.add(user)
                else:
                    watched.discard(user)
            self.watch[key] = self.state(frozenset(known), frozenset(watched))
