"""Plex snapshot cost against the emulator: requests made and seconds taken.

Full size: 50 users, 2,000 shows, 100,000 episodes, 2,000 movies (each user midway through 3 shows,
2 movies on the watchlist). Quick: 10 users, 200 shows, 10,000 episodes.

Rows:
- requests per snapshot vs the budget ``users * 6 + On Deck shows + 5 + listing pages + detail
  batches`` (ratio <= 1; a listing page is 2,000 items, a detail batch 100 wanted items);
- requests vs a naive walk that lists every show's episodes for every user (users * shows);
- snapshot seconds vs the peers' fixed one-second sleep per user between plex.tv calls.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from common import Row

from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.plex_snapshot import PlexOptions
from cacherr.demo.plex_emulator import PlexEmulator, generate_world
from cacherr.domain.media import Reason
from cacherr.domain.paths import PathMapper, PathMapping

PER_USER = 6  # GET /, On Deck, plex.tv account, discover watchlist, metadata provider, batched metadata
ONCE = 5  # sessions, plex.tv users, shared servers, /library, /library/sections


def run(quick: bool) -> list[Row]:
    users, shows, episodes, movies = (10, 200, 10_000, 200) if quick else (50, 2000, 100_000, 2000)
    started = time.monotonic()
    world = generate_world(users=users, shows=shows, episodes=episodes, movies=movies)
    built = time.monotonic() - started
    mapper = PathMapper([PathMapping("all", "/data", "/mnt/user0/media", "/mnt/cache/media")])
    with PlexEmulator(world) as emu:
        server = PlexMediaServer(url=emu.url, token=world.owner.token, mapper=mapper, session=emu.session(),
                                 options=PlexOptions(friends_rss=world.friends_rss_id))
        server.snapshot()  # warm up imports and connections
        emu.reset_counts()
        started = time.monotonic()
        snap = server.snapshot()
        seconds = time.monotonic() - started
        requests = emu.count()
        section_pages = emu.count("/library/sections/{id}/all")
        served = sum(r.seconds for r in emu.log)
    deck_shows = len({(w.user, snap.items[w.item_key].show_key) for w in snap.wants
                      if w.reason in (Reason.ON_DECK, Reason.IN_PROGRESS) and snap.items[w.item_key].show_key})
    extra_batches = max(0, math.ceil(len(snap.items) / 100) - 1)  # the owner's details, 100 items a request
    budget = users * PER_USER + deck_shows + ONCE + section_pages + extra_batches
    size = f"{users} users, {shows} shows, {episodes} episodes"
    return [
        Row("plex", "snapshot requests", float(requests), "req", reference=float(budget), target="<= 1.00",
            note=f"{size}; budget users*{PER_USER} + {deck_shows} On Deck shows + {ONCE} + {section_pages} "
                 f"listing pages + {extra_batches} detail batches"),
        Row("plex", "requests vs naive walk", float(requests), "req", reference=float(users * shows),
            note="naive: every show's episodes listed for every user"),
        Row("plex", "snapshot time", seconds, "s", reference=float(users), target="<< 1",
            note=f"reference: peers sleep 1 s per user on plex.tv; the emulator (same process) spent "
                 f"{served:.1f}s answering; world built in {built:.1f}s; "
                 f"{len(snap.wants)} wants, {len(snap.items)} items"),
    ]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.as_dict())
