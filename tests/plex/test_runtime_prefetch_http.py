"""Issue 15.7 over real HTTP: allLeaves' durations reach the adapter, which fetches enough next episodes for
EPISODES_AHEAD_MINUTES; the planner's rules then keep exactly the runtime asked for."""

from __future__ import annotations

from cacherr.demo.plex_emulator import World
from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.media import Reason
from cacherr.planning.library_rules import apply_rules
from tests.plex.conftest import NOW, MakeServer


def test_anime_gets_more_episodes_than_a_drama_for_the_same_minutes(world: World, make_server: MakeServer) -> None:
    tv = world.section(next(s.key for s in world.sections if s.title == "TV Shows"))
    anime = world.add_show(tv, "Short Anime", 2020, seasons=1, episodes=12)
    drama = world.add_show(tv, "Long Drama", 2018, seasons=1, episodes=12)
    for show, minutes in ((anime, 24), (drama, 65)):
        for ep in show.episodes():
            ep.duration = minutes * 60_000
        world.mark_watched("kid", show.episode(1, 1), at=NOW - 60)
    snap = make_server(number_episodes=1, episodes_minutes=120).snapshot()
    nxt = [snap.items[w.item_key] for w in snap.wants if w.user == "kid" and w.reason is Reason.NEXT_EPISODE]
    assert [i.duration_ms for i in nxt if i.show_title == "Short Anime"] == [24 * 60_000] * 5
    assert len([i for i in nxt if i.show_title == "Long Drama"]) == 2
    kept = apply_rules(snap, {}, 1, 120)
    assert len([w for w in kept.wants if w.user == "kid" and w.reason is Reason.NEXT_EPISODE]) == 7
    counted = apply_rules(snap, {"Movies": LibraryRule()}, 1, 0)  # a rule anywhere: count mode is applied
    assert len([w for w in counted.wants if w.user == "kid" and w.reason is Reason.NEXT_EPISODE]) == 2


def test_real_time_next_episodes_by_minutes(world: World, make_server: MakeServer) -> None:
    tv = world.section(next(s.key for s in world.sections if s.title == "TV Shows"))
    anime = world.add_show(tv, "Short Anime", 2020, seasons=1, episodes=12)
    for ep in anime.episodes():
        ep.duration = 24 * 60_000
    server = make_server()
    first = str(anime.episode(1, 1).rating_key)
    assert len(server.next_episodes(first, 1, 120)) == 5
    assert len(server.next_episodes(first, 1)) == 1
