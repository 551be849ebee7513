"""Plex tests: the real python-plexapi (and the real adapter) against the emulator over real HTTP."""

from __future__ import annotations

import os

os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")  # isolate from a user's plexapi config

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.plex_snapshot import PlexOptions
from cacherr.demo.plex_emulator import PlexEmulator, World, sample_world
from cacherr.domain.paths import PathMapper, PathMapping

NOW = 1_790_000_000  # a fixed "now" (epoch seconds) for worlds and snapshots


@pytest.fixture
def world() -> World:
    return sample_world(now=NOW)


@pytest.fixture
def emu(world: World) -> Iterator[PlexEmulator]:
    with PlexEmulator(world) as emulator:
        yield emulator


@pytest.fixture
def session(emu: PlexEmulator) -> Iterator[requests.Session]:
    s = emu.session()
    yield s
    s.close()


@pytest.fixture
def mapper() -> PathMapper:
    return PathMapper([PathMapping("movies", "/data/movies", "/mnt/user0/movies", "/mnt/cache/movies"),
                       PathMapping("tv", "/data/tv", "/mnt/user0/tv", "/mnt/cache/tv")])


MakeServer = Callable[..., PlexMediaServer]


@pytest.fixture
def make_server(emu: PlexEmulator, session: requests.Session, mapper: PathMapper) -> MakeServer:
    """A PlexMediaServer on the emulator; keyword arguments override PlexOptions fields or the
    constructor (``token``, ``timeout``, ``mapper``, ``retries``)."""

    def make(**kw: Any) -> PlexMediaServer:
        ctor = {k: kw.pop(k) for k in ("token", "timeout", "mapper", "retries", "max_retry_after") if k in kw}
        kw.setdefault("friends_rss", "https://discover.provider.plex.tv/rss/friends-feed")
        options = PlexOptions(**kw)
        return PlexMediaServer(url=emu.url, token=ctor.pop("token", "owner-token"), mapper=ctor.pop("mapper", mapper),
                               timeout=ctor.pop("timeout", 5.0), options=options, session=session,
                               clock=lambda: datetime.fromtimestamp(NOW, UTC), **ctor)

    return make
