"""The Plex libraries with their rules (``LIBRARY_RULES``), for the settings page's per-library table.

Library titles come from the server (one request); when Plex cannot be asked, the libraries named in the
saved rules are still listed, so the rules stay editable. Saving goes through ``PATCH /settings`` with
``LIBRARY_RULES`` like any setting: validated by the same code as the environment value.
"""

from __future__ import annotations

import logging

from flask import Response
from pydantic import Field

from cacherr.domain.errors import PlexUnavailable
from cacherr.web.api import ok
from cacherr.web.api_common import api_routes, state
from cacherr.web.schemas import _Out

log = logging.getLogger(__name__)
ROUTES = api_routes()


class LibraryRuleOut(_Out):
    enabled: bool = True
    episodes: int | None = Field(None, description="Next episodes ahead; null: NUMBER_EPISODES.")
    watchlist: bool = True
    retention_hours: float | None = Field(None, description="null: CACHE_RETENTION_HOURS.")
    minutes: int | None = Field(None, description="Minutes of upcoming episodes; null: EPISODES_AHEAD_MINUTES.")
    version: str | None = Field(None, description="Version to cache; null: MEDIA_VERSION.")
    skip_4k: bool = False


class LibraryOut(_Out):
    title: str
    kind: str = Field(description="movie, show, or empty for a library known only from the saved rules.")
    on_server: bool = Field(description="Plex reported this library just now.")
    rule: LibraryRuleOut | None = Field(description="Its own rule; null: every field follows the globals.")


class LibraryDefaultsOut(_Out):
    episodes: int = Field(description="NUMBER_EPISODES")
    watchlist: bool = Field(description="WATCHLIST_TOGGLE")
    retention_hours: float = Field(description="CACHE_RETENTION_HOURS")


class LibrariesOut(_Out):
    libraries: list[LibraryOut]
    defaults: LibraryDefaultsOut
    locked: bool = Field(description="LIBRARY_RULES is set by an environment variable: read-only.")
    error: str | None = Field(None, description="Why Plex's library list could not be read (the saved rules "
                              "are still listed).")


def _titles() -> tuple[list[tuple[str, str]], str | None]:
    store = state().store
    s = store.current
    factory = state().services.plex_account
    account = factory() if factory is not None else None
    if account is None:
        return [], "the library list is not available in this process"
    token = s.secret("PLEX_TOKEN")
    if not token:
        return [], "PLEX_TOKEN is not set: sign in with Plex (Setup) to list the libraries"
    try:
        return list(account.library_titles(s.PLEX_URL, token)), None
    except PlexUnavailable as exc:
        log.info("settings: library list not read: %s", exc)
        return [], f"Plex did not list its libraries: {exc}"


@ROUTES.api("/settings/libraries", "GET", summary="Plex libraries with their LIBRARY_RULES entry and the "
            "global defaults (for the per-library rules table)", tag="settings", response=LibrariesOut)
def get_libraries() -> tuple[Response, int]:
    store = state().store
    s = store.current
    titles, error = _titles()
    seen = {t for t, _ in titles}
    rows = [(t, k, True) for t, k in titles] + [(t, "", False) for t in s.LIBRARY_RULES if t not in seen]
    libraries = [LibraryOut(title=t, kind=k, on_server=on, rule=LibraryRuleOut(**r.model_dump())
                            if (r := s.LIBRARY_RULES.get(t)) is not None else None) for t, k, on in rows]
    defaults = LibraryDefaultsOut(episodes=s.NUMBER_EPISODES, watchlist=s.WATCHLIST_TOGGLE,
                                  retention_hours=s.CACHE_RETENTION_HOURS)
    return ok(LibrariesOut(libraries=libraries, defaults=defaults, locked="LIBRARY_RULES" in store.locked,
                           error=error))
