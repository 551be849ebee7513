"""The rules: what each user wants and how much it is worth, who has watched what, the budget.

Pure functions over the frozen domain models. ``Policy`` holds the settings values the planner needs,
already resolved against the cache size, so the planner never sees the settings tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import MediaItem, Reason, Snapshot, Want
from cacherr.domain.units import human_bytes as human_bytes  # re-exported: planner.py imports it from here
from cacherr.domain.versions import VersionRule

if TYPE_CHECKING:
    from cacherr.settings import Settings

# Wants from these reasons stop counting once their user has watched the item (a watchlist entry that
# Plex has not yet dropped, a next episode already seen). Playing, in progress and on deck always count:
# they are what the user is watching right now, even a re-watch.
DROPPED_WHEN_WATCHED = frozenset({Reason.NEXT_EPISODE, Reason.WATCHLIST, Reason.TRAKT, Reason.COLLECTION})
# Reasons that are not a person's wish; such wants add no "interested user".
NOT_A_USER = frozenset({Reason.TRAKT, Reason.PINNED, Reason.PRE_EXISTING, Reason.FRESH_DOWNLOAD})


@dataclass(frozen=True, slots=True)
class Policy:
    """Settings values the planner needs, resolved (bytes, not percentages)."""

    mode: CacheMode = CacheMode.COPY
    limit_bytes: int | None = None  # CACHE_LIMIT resolved; None = no limit
    min_free_bytes: int = 0  # MIN_FREE_SPACE resolved
    retention: timedelta = timedelta(hours=12)  # CACHE_RETENTION_HOURS
    watched_move: bool = True  # WATCHED_MOVE
    trakt_max_bytes: int | None = None  # TRAKT_MAX_BYTES resolved; None = only the main budget
    give_back: bool = True  # False for real-time top-ups: cache only, never restore or evict
    versions: VersionRule = field(default_factory=VersionRule)  # MEDIA_VERSION
    library_retention: Mapping[str, timedelta] = field(default_factory=dict)  # LIBRARY_RULES retention_hours
    library_versions: Mapping[str, VersionRule] = field(default_factory=dict)  # LIBRARY_RULES version, skip_4k
    fresh_download: timedelta = timedelta(0)  # FRESH_DOWNLOAD_DAYS: how long an adopted fresh download stays

    def version_of(self, library: str) -> VersionRule:
        """The version rule of ``library`` (its LIBRARY_RULES version/skip_4k, else MEDIA_VERSION)."""
        return self.library_versions.get(library, self.versions)

    # Kept off the cache on request (a restore with "keep off the cache"): item keys, and array paths of
    # files Plex does not know. Never cached until let back in.
    excluded_keys: frozenset[str] = frozenset()
    excluded_paths: frozenset[str] = frozenset()

    def excludes(self, key: str, array_paths: Iterable[str]) -> bool:
        return key in self.excluded_keys or any(p in self.excluded_paths for p in array_paths)

    def retention_of(self, library: str) -> timedelta:
        """The retention of ``library`` (its LIBRARY_RULES entry, else CACHE_RETENTION_HOURS)."""
        return self.library_retention.get(library, self.retention)

    @classmethod
    def from_settings(cls, settings: Settings, total_bytes: int, *, give_back: bool = True) -> Policy:
        """Build from the settings tree; percentages resolve against ``total_bytes`` (the cache size)."""
        if settings.USE_SYMLINKS:
            mode = CacheMode.SYMLINK
        else:
            mode = CacheMode.COPY if settings.COPY_TO_CACHE else CacheMode.MOVE
        return cls(
            mode=mode,
            limit_bytes=settings.CACHE_LIMIT.resolve(total_bytes),
            min_free_bytes=settings.MIN_FREE_SPACE.resolve(total_bytes) or 0,
            retention=timedelta(hours=settings.CACHE_RETENTION_HOURS),
            watched_move=settings.WATCHED_MOVE,
            trakt_max_bytes=settings.TRAKT_MAX_BYTES.resolve(total_bytes),
            give_back=give_back,
            versions=VersionRule.parse(settings.MEDIA_VERSION),
            library_retention={name: timedelta(hours=rule.retention_hours)
                               for name, rule in settings.LIBRARY_RULES.items() if rule.retention_hours is not None},
            library_versions=library_versions(VersionRule.parse(settings.MEDIA_VERSION), settings),
            fresh_download=timedelta(days=settings.FRESH_DOWNLOAD_DAYS),
        )


def library_versions(default: VersionRule, settings: Settings) -> dict[str, VersionRule]:
    """Library title -> its version rule, for the libraries whose LIBRARY_RULES entry sets one."""
    out = {}
    for name, rule in settings.LIBRARY_RULES.items():
        if rule.version is not None or rule.skip_4k:
            out[name] = default.for_library(name, rule.version, rule.skip_4k)
    return out


@dataclass(frozen=True, slots=True)
class WantedItem:
    """One item wanted on the cache: its best reason, every user who wants it, and why in words."""

    item: MediaItem
    reason: Reason
    rank: int
    users: frozenset[str]
    reasons: frozenset[Reason] = field(default_factory=frozenset)

    @property
    def why(self) -> str:
        return describe(self.reason, self.rank, self.users)

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        """Priority order: reason, then rank within it, then more users first, then the key (stable)."""
        return (int(self.reason), self.rank, -len(self.users), self.item.key)


def user_list(users: Iterable[str]) -> str:
    names = sorted(u for u in users if u)
    if not names:
        return "nobody"
    if len(names) <= 3:
        return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


_WHY: dict[Reason, str] = {
    Reason.PLAYING: "playing now for {who}",
    Reason.IN_PROGRESS: "in progress for {who}",
    Reason.ON_DECK: "on deck for {who}",
    Reason.NEXT_EPISODE: "next episode (#{n}) for {who}",
    Reason.WATCHLIST: "on the watchlist of {who}",
    Reason.TRAKT: "Trakt list pick (#{n})",
    Reason.PINNED: "pinned",
    Reason.PRE_EXISTING: "was already on the cache",
    Reason.FRESH_DOWNLOAD: "fresh download of a show being watched",
    Reason.COLLECTION: "next film of a collection for {who}",
}


def describe(reason: Reason, rank: int, users: frozenset[str]) -> str:
    return _WHY[reason].format(who=user_list(users), n=rank + 1)


def session_wants(snapshot: Snapshot) -> list[Want]:
    """Every active play session is a PLAYING want of its user."""
    return [Want(s.item_key, s.user, Reason.PLAYING) for s in snapshot.sessions if s.item_key in snapshot.items]


def _counts(want: Want, watched_by: Mapping[str, frozenset[str]]) -> bool:
    return not (want.reason in DROPPED_WHEN_WATCHED and want.user in watched_by.get(want.item_key, ()))


def aggregate_wants(snapshot: Snapshot) -> list[WantedItem]:
    """One ``WantedItem`` per wanted item, best reason first, in priority order.

    An item wanted by several users counts once, with every user recorded. Wants for items missing
    from ``snapshot.items`` are ignored (the adapter reports those as problems).
    """
    best: dict[str, tuple[Reason, int]] = {}
    users: dict[str, set[str]] = {}
    reasons: dict[str, set[Reason]] = {}
    for want in (*snapshot.wants, *session_wants(snapshot)):
        if want.item_key not in snapshot.items or not _counts(want, snapshot.watched_by):
            continue
        key = want.item_key
        current = best.get(key)
        if current is None or (want.reason, want.rank) < current:
            best[key] = (want.reason, want.rank)
        if want.reason not in NOT_A_USER and want.user:
            users.setdefault(key, set()).add(want.user)
        reasons.setdefault(key, set()).add(want.reason)
    out = []
    for key, (reason, rank) in best.items():
        who = frozenset(users.get(key, ()))
        out.append(WantedItem(snapshot.items[key], reason, rank, who, frozenset(reasons[key])))
    out.sort(key=lambda w: w.sort_key)
    return out


def watched_by_all(entry: CacheEntry, snapshot: Snapshot, wanting: Mapping[str, set[str]],
                   known: frozenset[str] | None = None) -> frozenset[str] | None:
    """The users whose watching sends ``entry`` back, or None while someone interested has not watched it.

    Media nobody asked for (found on the cache, or a Trakt pick) goes back once anyone has watched it.
    ``wanting`` maps item keys to the real users wanting them in this snapshot (see ``wanting_users``).
    """
    if entry.item_key is None:
        return None
    watched = snapshot.watched_by.get(entry.item_key, frozenset())
    if not watched:
        return None
    interested = (entry.users & known if known is not None else entry.users.intersection(snapshot.users)) | \
        wanting.get(entry.item_key, set())
    if not interested:
        return frozenset(watched)
    return frozenset(interested) if interested <= watched else None


def wanting_users(snapshot: Snapshot) -> dict[str, set[str]]:
    """Item key -> real users with a want for it (watched or not)."""
    known = set(snapshot.users)
    out: dict[str, set[str]] = {}
    for w in snapshot.wants:
        if w.reason not in NOT_A_USER and w.user in known:
            out.setdefault(w.item_key, set()).add(w.user)
    return out


def idle_since(entry: CacheEntry) -> datetime:
    """When the entry was last wanted (or cached, if never marked)."""
    return entry.last_wanted_at or entry.cached_at
