"""Route plexapi's hard-coded plex.tv URLs somewhere else, and retry politely (no plexapi import here).

plexapi calls ``https://plex.tv``, ``https://clients.plex.tv``, ``https://discover.provider.plex.tv``
and ``https://metadata.provider.plex.tv`` directly. ``mount_plex_tv(session, base_url)`` mounts a
``PlexTvRedirect`` transport adapter on a ``requests.Session`` that sends those calls to
``{base_url}/_plextv``, ``/_discover`` and ``/_metadata`` instead: the Plex emulator's layout. Tests
and the demo use it; in production ``PLEX_TV_URL`` is empty and nothing is redirected.

``BoundedRetry`` is urllib3's ``Retry`` with ``Retry-After`` capped, so a 429 asking for an hour
cannot stall a cycle.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

PLEX_TV_HOSTS = {
    "plex.tv": "/_plextv",
    "clients.plex.tv": "/_plextv",
    "discover.provider.plex.tv": "/_discover",
    "metadata.provider.plex.tv": "/_metadata",
}
RETRY_STATUSES = (429, 500, 502, 503, 504)


class BoundedRetry(Retry):
    """Retry GETs on 5xx/429 with exponential backoff, honouring Retry-After up to ``max_retry_after``."""

    max_retry_after: float = 5.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)

    def new(self, **kw: Any) -> BoundedRetry:
        retry = super().new(**kw)
        assert isinstance(retry, BoundedRetry)
        retry.max_retry_after = self.max_retry_after
        return retry


def make_retry(attempts: int = 3, backoff: float = 0.2, max_retry_after: float = 5.0) -> Retry:
    retry = BoundedRetry(total=attempts, connect=attempts, read=1, status=attempts, backoff_factor=backoff,
                         backoff_max=2.0, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                         respect_retry_after_header=True, raise_on_status=False)
    retry.max_retry_after = max_retry_after
    return retry


class PlexTvRedirect(HTTPAdapter):
    """A transport adapter that rewrites plex.tv hosts to ``base_url`` + a per-host prefix."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        prefix = PLEX_TV_HOSTS.get(parts.hostname or "")
        if prefix is None:
            return url
        path = self.base.path + prefix + (parts.path or "/")
        return urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, parts.fragment))

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request = request.copy()
        request.url = self.rewrite(request.url or "")
        return super().send(request, *args, **kwargs)


def mount_plex_tv(session: requests.Session, base_url: str, **adapter_kwargs: Any) -> PlexTvRedirect:
    """Mount a ``PlexTvRedirect`` for every plex.tv host on ``session``; returns the adapter."""
    adapter = PlexTvRedirect(base_url, **adapter_kwargs)
    for host in PLEX_TV_HOSTS:
        session.mount(f"https://{host}/", adapter)
    return adapter


def set_retries(session: requests.Session, retry: Retry) -> None:
    """Give every transport adapter mounted on ``session`` the same retry policy."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.max_retries = retry
