"""Per-library rules (``LIBRARY_RULES``): for each Plex library, whether it is cached at all, how many episodes
ahead, whether watchlists count, and its own retention. A library without a rule follows the global settings.

Pure: ``apply_rules`` narrows a snapshot's wants before planning; ``retention_for`` gives a library's retention.
Episodes ahead above ``NUMBER_EPISODES`` are fetched because the adapter asks Plex for ``most_episodes``.

Prefetch by runtime: a library whose minutes (its rule's ``minutes``, else ``EPISODES_AHEAD_MINUTES``) is above 0
keeps, per user and show, the next episodes until their durations add up to that many minutes (at least one;
see domain.runtime), instead of a number of episodes. The adapter fetches enough (``most_minutes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.media import MediaItem, Reason, Snapshot, Want
from cacherr.domain.runtime import episodes_for

Rules = Mapping[str, LibraryRule]


def most_episodes(rules: Rules, default: int) -> int:
    """How many next episodes the snapshot must fetch so that every library's rule can be met."""
    return max([default, *(r.episodes for r in rules.values() if r.episodes is not None and r.enabled)])


def most_minutes(rules: Rules, default: int) -> int:
    """The most minutes of upcoming runtime any library asks for (EPISODES_AHEAD_MINUTES or a rule's)."""
    return max([default, *(r.minutes for r in rules.values() if r.minutes is not None and r.enabled)])


def minutes_for(rules: Rules, library: str, default: int) -> int:
    rule = rules.get(library)
    return default if rule is None or rule.minutes is None else rule.minutes


def keeps(rules: Rules, default_episodes: int, library: str, want: Want) -> bool:
    """Whether ``want`` (for an item of ``library``) survives the library's rule."""
    rule = rules.get(library)
    if rule is None:
        return want.reason is not Reason.NEXT_EPISODE or want.rank < default_episodes
    if not rule.enabled:
        return want.reason is Reason.PINNED
    if want.reason is Reason.WATCHLIST and not rule.watchlist:
        return False
    limit = default_episodes if rule.episodes is None else rule.episodes
    return want.reason is not Reason.NEXT_EPISODE or want.rank < limit


def apply_rules(snapshot: Snapshot, rules: Rules, default_episodes: int, default_minutes: int = 0) -> Snapshot:
    """The snapshot with the wants that the library rules allow (items stay, so watched state still counts)."""
    if not rules and default_minutes <= 0:
        return snapshot
    by_runtime = _runtime_ranks(snapshot, rules, default_minutes)
    kept = tuple(w for w in snapshot.wants
                 if (item := snapshot.items.get(w.item_key)) is None
                 or _keeps(rules, default_episodes, item.library, w, by_runtime))
    return replace(snapshot, wants=kept)


def _keeps(rules: Rules, default_episodes: int, library: str, want: Want,
           by_runtime: dict[tuple[str, str], int]) -> bool:
    limit = by_runtime.get((want.user, want.item_key)) if want.reason is Reason.NEXT_EPISODE else None
    if limit is None:
        return keeps(rules, default_episodes, library, want)
    rule = rules.get(library)
    if rule is not None and not rule.enabled:
        return False
    return want.rank < limit


def _runtime_ranks(snapshot: Snapshot, rules: Rules, default_minutes: int) -> dict[tuple[str, str], int]:
    """(user, item key) -> how many next episodes its (user, show) keeps, for next-episode wants of libraries
    counting by runtime."""
    groups: dict[tuple[str, str], list[tuple[int, Want, MediaItem]]] = {}
    for w in snapshot.wants:
        item = snapshot.items.get(w.item_key)
        if w.reason is not Reason.NEXT_EPISODE or item is None:
            continue
        if minutes_for(rules, item.library, default_minutes) > 0:
            groups.setdefault((w.user, item.show_key or item.key), []).append((w.rank, w, item))
    out: dict[tuple[str, str], int] = {}
    for members in groups.values():
        members.sort(key=lambda t: t[0])
        minutes = minutes_for(rules, members[0][2].library, default_minutes)
        count = episodes_for((i.duration_ms for _, _, i in members), minutes)
        limit = members[count - 1][0] + 1 if count else 0
        out.update(((w.user, w.item_key), limit) for _, w, _ in members)
    return out


def retention_for(rules: Rules, library: str, default: timedelta) -> timedelta:
    rule = rules.get(library)
    if rule is None or rule.retention_hours is None:
        return default
    return timedelta(hours=rule.retention_hours)
