"""A Plex Media Server + plex.tv emulator serving real PMS XML over real HTTP.

Used by ``cacherr demo`` and by the tests, which run the real python-plexapi against it::

    from cacherr.demo.plex_emulator import PlexEmulator, sample_world

    world = sample_world()                     # or World() and build your own (see model.py)
    with PlexEmulator(world) as emu:           # 127.0.0.1, a free port; emu.url
        session = emu.session()                # plex.tv calls routed to the emulator
        ...
        world.mark_watched("alice", item)      # make time pass (see state.py)
        emu.inject("/library/onDeck", "500")   # fail the next On Deck request
"""

from cacherr.demo.plex_emulator.generate import generate_world, sample_world
from cacherr.demo.plex_emulator.model import (
    Episode,
    Movie,
    Part,
    Season,
    Section,
    Show,
    Subtitle,
    User,
    ViewState,
    WatchlistEntry,
    World,
)
from cacherr.demo.plex_emulator.server import Fault, PlexEmulator, RequestRecord
from cacherr.demo.plex_emulator.transport import PlexTvRedirect, mount_plex_tv

__all__ = [
    "Episode",
    "Fault",
    "Movie",
    "Part",
    "PlexEmulator",
    "PlexTvRedirect",
    "RequestRecord",
    "Season",
    "Section",
    "Show",
    "Subtitle",
    "User",
    "ViewState",
    "WatchlistEntry",
    "World",
    "generate_world",
    "mount_plex_tv",
    "sample_world",
]
