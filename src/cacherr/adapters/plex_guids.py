"""Plex guids in every form Plex uses, reduced to the ids watchlists and Trakt match on.

New agents send ``plex://movie/5d77...`` plus ``<Guid id="imdb://tt0111161"/>`` children. Libraries on the
legacy agents send one guid and no children, in the agent's own spelling:

    com.plexapp.agents.imdb://tt0111161?lang=en          -> imdb://tt0111161
    com.plexapp.agents.themoviedb://278?lang=en          -> tmdb://278
    com.plexapp.agents.thetvdb://81189?lang=en           -> tvdb://81189
    com.plexapp.agents.thetvdb://81189/1/1?lang=en       -> (an episode of show 81189: no id of its own)
    com.plexapp.agents.hama://tvdb-81189?lang=en         -> tvdb://81189 (also anidb-, tmdb-, imdb-)
    com.plexapp.agents.xbmcnfo://tt0111161               -> imdb://tt0111161

Pure string work; no plexapi.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_LEGACY = re.compile(r"^com\.plexapp\.agents\.(?P<agent>[a-z0-9_.-]+)://(?P<rest>[^?#]*)", re.IGNORECASE)
_AGENT_SOURCE = {"imdb": "imdb", "themoviedb": "tmdb", "tmdb": "tmdb", "thetvdb": "tvdb", "tvdb": "tvdb",
                 "thetvdbdvdorder": "tvdb", "xbmcnfo": "", "xbmcnfotv": "tvdb"}
_HAMA = re.compile(r"^(?P<src>anidb|tvdb[2-6]?|tmdb|tsdb|imdb)-(?P<id>[^/]+)", re.IGNORECASE)
_HAMA_SOURCE = {"tsdb": "tmdb", "anidb": "anidb"}
_MODERN = re.compile(r"^(?P<src>imdb|tmdb|tvdb)://(?P<id>[^?#/]+)", re.IGNORECASE)


def _canonical_id(source: str, value: str) -> str | None:
    value = value.strip()
    if source == "imdb":
        return f"imdb://{value.lower()}" if re.fullmatch(r"tt\d+", value, re.IGNORECASE) else None
    if source in ("tmdb", "tvdb"):
        return f"{source}://{int(value)}" if value.isdigit() else None
    if source == "anidb":
        return f"anidb://{int(value)}" if value.isdigit() else None
    return None


def _legacy(agent: str, rest: str) -> str | None:
    agent = agent.lower()
    head, _, tail = rest.partition("/")
    if agent == "hama":
        m = _HAMA.match(rest)
        if m is None or rest[m.end():].strip("/"):  # a season or an episode below a show's id
            return None
        src = m.group("src").lower()
        return _canonical_id(_HAMA_SOURCE.get(src, src.rstrip("23456")), m.group("id"))
    source = _AGENT_SOURCE.get(agent)
    if source is None or tail:  # an unknown agent, or an episode/season path below a show's id
        return None
    if not source:  # xbmcnfo movies: an imdb tt id, or a tmdb number
        source = "imdb" if head.lower().startswith("tt") else "tmdb"
    return _canonical_id(source, head)


def canonical(guid: str) -> tuple[str, ...]:
    """``guid`` itself, then the canonical ``imdb://``/``tmdb://``/``tvdb://`` id it names (if any)."""
    guid = (guid or "").strip()
    if not guid:
        return ()
    legacy = _LEGACY.match(guid)
    if legacy is not None:
        found = _legacy(legacy.group("agent"), legacy.group("rest"))
    else:
        modern = _MODERN.match(guid)
        found = _canonical_id(modern.group("src").lower(), modern.group("id")) if modern else None
    return tuple(dict.fromkeys([guid, *([found] if found else [])]))


def canonical_all(guids: Iterable[str | None]) -> tuple[str, ...]:
    """Every guid of an item with its canonical ids, in order, without duplicates."""
    out: dict[str, None] = {}
    for g in guids:
        for c in canonical(g or ""):
            out.setdefault(c, None)
    return tuple(out)

