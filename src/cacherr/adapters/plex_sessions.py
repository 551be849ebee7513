"""``/status/sessions`` read element by element (no plexapi objects: plexapi raises ``AttributeError``
for a Live TV session without ``<User>``, which would fail the whole list).

Each odd session becomes a note in ``problems`` and is left out; the others are still read. Live TV
(``live="1"``, no library file) and clips/tracks are not library media and are ignored quietly; a
transcode session whose ``<Part>`` has no ``file`` still counts by its ratingKey.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from cacherr.adapters.plex_convert import Problems, attr
from cacherr.domain.media import PlaySession

PLAYABLE = ("movie", "episode")


OWNER_ACCOUNT_ID = "1"  # a PMS numbers its owner's account 1 in sessions, whatever plex.tv calls them


def session_of(el: ET.Element, owner: str = "") -> PlaySession | None:
    """One session element as a ``PlaySession``; None for what is not library media. Raises
    ``ValueError`` for a library session that cannot be attributed (no ratingKey). ``owner``: the name
    the snapshot uses for the owner (the server's myPlexUsername, often an email)."""
    if el.get("type") not in PLAYABLE or el.get("live") == "1" or el.get("key", "").startswith("/livetv/"):
        return None
    key = el.get("ratingKey") or ""
    if not key.isdigit():
        raise ValueError(f"no ratingKey (key={el.get('key')!r})")
    user = el.find("User")
    player = el.find("Player")
    part = next((p for p in el.iter("Part") if p.get("file")), None)
    name = (user.get("title") or user.get("id") or "?") if user is not None else "?"
    if owner and user is not None and user.get("id") == OWNER_ACCOUNT_ID:
        name = owner
    return PlaySession(user=name,
                       item_key=key, plex_path=part.get("file", "") if part is not None else "",
                       player=player.get("title", "") if player is not None else "",
                       state=player.get("state", "playing") if player is not None else "playing")


def sessions_from(elements: Iterable[ET.Element], problems: Problems, owner: str = "") -> tuple[PlaySession, ...]:
    out: list[PlaySession] = []
    for el in elements:
        try:
            session = session_of(el, owner)
        except (ValueError, TypeError, AttributeError) as exc:
            problems.add(f"play session {el.get('sessionKey') or '?'} ({el.get('title') or el.tag}): "
                         f"could not be read ({exc}); ignored")
            continue
        if session is not None:
            out.append(session)
    return tuple(out)


def sessions_of(server: Any, problems: Problems | None = None) -> tuple[PlaySession, ...]:
    """The active sessions of a plexapi ``PlexServer``, read element by element."""
    data = server.query("/status/sessions")
    owner = str(attr(server, "myPlexUsername", "") or "")
    return sessions_from(list(data) if data is not None else [], problems if problems is not None else Problems(),
                         owner)
