"""Per-library rules (``LIBRARY_RULES``): for each Plex library, whether it is cached at all, how many episodes
ahead, whether watchlists count, and its own retention. A library without a rule follows the global settings.

Pure: ``apply_rules`` narrows a snapshot's wants before planning; ``retention_for`` gives a library's retention.
Episodes ahead above ``NUMBER_EPISODES`` are fetched because the adapter asks Plex for ``most_episodes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.media import Reason, Snapshot, Want

Rules = Mapping[str, LibraryRule]


def most_episodes(rules: Rules, default: int) -> int:
    """How many next episodes the snapshot must fetch so that every library's rule can be met."""
    return max([default, *(r.episodes for r in rules.values() if r.episodes is not None and r.enabled)])


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


def apply_rules(snapshot: Snapshot, rules: Rules, default_episodes: int) -> Snapshot:
    """The snapshot with the wants that the library rules allow (items stay, so watched state still counts)."""
    if not rules:
        return snapshot
    kept = tuple(w for w in snapshot.wants
                 if (item := snapshot.items.get(w.item_key)) is None
                 or keeps(rules, default_episodes, item.library, w))
    return replace(snapshot, wants=kept)


def retention_for(rules: Rules, library: str, default: timedelta) -> timedelta:
    rule = rules.get(library)
    if rule is None or rule.retention_hours is None:
        return default
    return timedelta(hours=rule.retention_hours)
