"""The same movie in two libraries ("Movies" and "Movies 4K"): a watchlist or Trakt want names both
(the adapter matches every library), and the planner keeps one, by the ``MEDIA_VERSION`` rule: the copy
being played, else one already complete on the cache, else the copy whose version the rule prefers.
Copies are movies of different libraries sharing an imdb://, tmdb:// or tvdb:// id. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace

from cacherr.domain.media import MediaKind, MediaVersion
from cacherr.domain.versions import VersionRule, choose, preferred
from cacherr.planning.policy import WantedItem

EXTERNAL = ("imdb://", "tmdb://", "tvdb://")


def _groups(wanted: list[WantedItem]) -> list[list[int]]:
    owner: dict[str, int] = {}
    parent = list(range(len(wanted)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, wi in enumerate(wanted):
        if wi.item.kind is not MediaKind.MOVIE:
            continue
        for g in wi.item.guids:
            if g.startswith(EXTERNAL):
                j = owner.setdefault(g, i)
                if j != i and wanted[j].item.library != wi.item.library:
                    parent[find(i)] = find(j)
    out: dict[int, list[int]] = {}
    for i in range(len(wanted)):
        out.setdefault(find(i), []).append(i)
    return [g for g in out.values() if len(g) > 1]


def _winner(cands: list[WantedItem], rule: VersionRule, playing: Collection[str], cached: Collection[str],
            rule_of: Callable[[str], VersionRule]) -> WantedItem:
    picked = []
    for wi in cands:
        choice = choose(wi.item, rule_of(wi.item.library), playing=playing, cached=cached)
        if not choice.files:  # this library's rule caches none of its versions (skip_4k)
            continue
        version = next((v for v in wi.item.versions if v.files == choice.files), MediaVersion(choice.files))
        status = 2 if any(f.plex_path in playing for f in choice.files) else \
            1 if all(f.cache_path in cached for f in choice.files) else 0
        picked.append((status, version, wi))
    if not picked:
        return cands[0]
    top = max(s for s, _, _ in picked)
    best = preferred(tuple(v for s, v, _ in picked if s == top), rule)
    return next(wi for s, v, wi in picked if s == top and v is best)


def keep_one_copy(wanted: list[WantedItem], rule: VersionRule, *, playing: Collection[str] = (),
                  cached: Collection[str] = (), rule_of: Callable[[str], VersionRule] | None = None
                  ) -> list[WantedItem]:
    """``wanted`` with every group of copies reduced to its winner, which takes every copy's users and
    the best reason; the order stays the priority order. ``rule_of``: a library's own version rule."""
    of = rule_of or (lambda _library: rule)
    drop: set[int] = set()
    merged: dict[int, WantedItem] = {}
    for group in _groups(wanted):
        cands = [wanted[i] for i in group]
        win = _winner(cands, rule, playing, cached, of)
        at = next(i for i in group if wanted[i] is win)
        best = min(cands, key=lambda c: (int(c.reason), c.rank))
        merged[at] = replace(win, reason=best.reason, rank=best.rank,
                             users=frozenset().union(*(c.users for c in cands)),
                             reasons=frozenset().union(*(c.reasons for c in cands)))
        drop.update(i for i in group if i != at)
    if not drop:
        return wanted
    out = [merged.get(i, wi) for i, wi in enumerate(wanted) if i not in drop]
    out.sort(key=lambda w: w.sort_key)
    return out
