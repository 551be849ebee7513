"""The Trakt client against the Trakt emulator, over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cacherr.adapters.trakt import TraktClient, parse_entry, retry_after_seconds
from cacherr.demo.trakt_emulator import DEMO_CLIENT_ID, TraktEmulator


@pytest.fixture
def trakt() -> Iterator[TraktEmulator]:
    with TraktEmulator() as emulator:
        yield emulator


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def client(trakt: TraktEmulator, **kw: object) -> TraktClient:
    kw.setdefault("lists", ["movies/trending"])
    kw.setdefault("backoff", 0.05)
    kw.setdefault("timeout", 2.0)
    return TraktClient(str(kw.pop("key", DEMO_CLIENT_ID)), base_url=trakt.url, **kw)  # type: ignore[arg-type]


def test_trending_movies_shape_ids_and_rank(trakt: TraktEmulator) -> None:
    picks = client(trakt, count=3).picks()
    assert [p.title for p in picks] == ["Amélie", "Dune", "The Matrix"]
    first = picks[0]
    assert (first.kind, first.year, first.rank, first.list_name) == ("movie", 2001, 1, "movies/trending")
    assert first.ids == {"imdb": "tt0211915", "tmdb": "194", "slug": "amelie-2001", "trakt": "100001"}
    assert [p.rank for p in picks] == [1, 2, 3]


def test_popular_plain_objects_and_anticipated_list_count(trakt: TraktEmulator) -> None:
    picks = client(trakt, lists=["movies/popular", "movies/anticipated"], count=2).picks()
    popular = [p for p in picks if p.list_name == "movies/popular"]
    anticipated = [p for p in picks if p.list_name == "movies/anticipated"]
    assert [p.title for p in popular] == ["The Godfather", "Pulp Fiction"]  # oldest first in the demo
    assert [p.title for p in anticipated] == ["The Quiet Orbit", "Harbour Lights"]
    assert anticipated[0].ids["imdb"] == "tt9900001"


def test_shows_carry_tvdb(trakt: TraktEmulator) -> None:
    picks = client(trakt, lists=["shows/trending", "shows/anticipated", "shows/popular"], count=1).picks()
    assert [(p.kind, p.title, p.list_name) for p in picks] == [
        ("show", "Example Show", "shows/trending"), ("show", "Lanterns of Vell", "shows/anticipated"),
        ("show", "The Office", "shows/popular")]
    assert picks[0].ids["tvdb"] == "121361"


def test_parse_entry_of_each_shape_and_garbage() -> None:
    movie = {"title": "X", "year": 2020, "ids": {"imdb": "tt1", "tmdb": 5, "tvdb": None}}
    for entry in ({"watchers": 3, "movie": movie}, movie, {"list_count": 9, "movie": movie}):
        pick = parse_entry("movies/trending", entry, 4)
        assert pick is not None and pick.ids == {"imdb": "tt1", "tmdb": "5"} and pick.rank == 4
    assert parse_entry("movies/trending", {"watchers": 3, "movie": {"year": 1}}, 1) is None
    assert parse_entry("movies/trending", "nonsense", 1) is None


def test_headers_and_paging(trakt: TraktEmulator) -> None:
    trakt.max_limit = 4  # Trakt clamps big limits: the client must follow the pagination headers
    picks = client(trakt, count=10).picks()
    assert [p.rank for p in picks] == list(range(1, 11))
    assert picks[-1].title == "Pulp Fiction"
    assert [(r.path, r.query["page"], r.query["limit"]) for r in trakt.requests] == [
        ("/movies/trending", "1", "10"), ("/movies/trending", "2", "10"), ("/movies/trending", "3", "10")]
    headers = {k.lower(): v for k, v in trakt.requests[0].headers.items()}
    assert headers["trakt-api-key"] == DEMO_CLIENT_ID
    assert headers["trakt-api-version"] == "2"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Cacherr/")


def test_paging_stops_at_the_last_page(trakt: TraktEmulator) -> None:
    trakt.max_limit = 5
    picks = client(trakt, lists=["shows/trending"], count=50).picks()
    assert len(picks) == 4 and trakt.request_count == 1


def test_429_retry_after_is_honoured(trakt: TraktEmulator) -> None:
    trakt.fail_next(429, retry_after=1)
    started = time.monotonic()
    c = client(trakt, count=2)
    picks = c.picks()
    elapsed = time.monotonic() - started
    assert [p.title for p in picks] == ["Amélie", "Dune"]
    assert trakt.request_count == 2
    assert elapsed >= 1.0, "the client did not wait Retry-After"
    assert c.health()["ok"] is True


def test_429_asking_too_long_a_wait_degrades_without_waiting(trakt: TraktEmulator) -> None:
    trakt.fail_next(429, retry_after=3600)
    c = client(trakt, max_retry_wait=5)
    started = time.monotonic()
    assert c.picks() == ()
    assert time.monotonic() - started < 2
    assert "3600" in c.health()["message"] and trakt.request_count == 1


def test_server_errors_are_retried_then_degrade(trakt: TraktEmulator) -> None:
    trakt.fail_next(500)
    assert len(client(trakt, count=2).picks()) == 2
    trakt.fail_next(503, times=10)
    c = client(trakt, count=2, max_retries=2)
    assert c.picks() == ()
    assert "HTTP 503" in c.health()["message"]


def test_bad_key_degrades_with_a_clear_message(trakt: TraktEmulator, caplog: pytest.LogCaptureFixture) -> None:
    c = client(trakt, key="wrong-key-123", lists=["movies/trending", "shows/trending"])
    with caplog.at_level(logging.WARNING):
        assert c.picks() == ()
    health = c.health()
    assert health["ok"] is False
    assert "No Trakt items this cycle" in health["message"] and "TRAKT_CLIENT_ID" in health["message"]
    assert trakt.request_count == 1  # the second list is not asked with a refused key
    assert "TRAKT_CLIENT_ID" in c.problem()
    assert "wrong-key-123" not in caplog.text + repr(health)


def test_outage_degrades(trakt: TraktEmulator) -> None:
    c = client(trakt)
    trakt.stop()
    assert c.picks() == ()
    assert "unreachable" in c.health()["message"]


def test_slow_trakt_times_out(trakt: TraktEmulator) -> None:
    trakt.delay = 1.5
    c = client(trakt, timeout=0.3, max_retries=0)
    started = time.monotonic()
    assert c.picks() == ()
    assert time.monotonic() - started < 1.4
    assert "did not answer" in c.health()["message"]


def test_malformed_json_degrades(trakt: TraktEmulator) -> None:
    trakt.malformed = True
    c = client(trakt)
    assert c.picks() == ()
    assert "malformed" in c.health()["message"]


def test_one_failing_list_keeps_the_others(trakt: TraktEmulator) -> None:
    trakt.fail_next(404)
    c = client(trakt, lists=["movies/trending", "shows/trending"], count=2)
    picks = c.picks()
    assert [p.list_name for p in picks] == ["shows/trending", "shows/trending"]
    assert "movies/trending" in c.problem()


def test_results_are_cached_for_the_configured_time(trakt: TraktEmulator) -> None:
    clock = FakeClock()
    c = client(trakt, cache_hours=6, clock=clock)
    first = c.picks()
    assert trakt.request_count == 1
    clock.now += timedelta(hours=5)
    assert c.picks() == first and trakt.request_count == 1  # within the TTL: no request
    clock.now += timedelta(hours=2)
    assert c.picks() == first and trakt.request_count == 2  # expired: asked again
    assert c.health()["cached_until"] == (clock.now + timedelta(hours=6)).isoformat()


def test_failures_are_not_cached(trakt: TraktEmulator) -> None:
    trakt.malformed = True
    c = client(trakt)
    assert c.picks() == ()
    trakt.malformed = False
    assert len(c.picks()) == 10


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    later = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 < (retry_after_seconds(later) or 0) <= 31


def test_unknown_list_is_refused() -> None:
    with pytest.raises(ValueError, match="movies/foo"):
        TraktClient("k", lists=["movies/foo"])
