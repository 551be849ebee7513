"""An incomplete snapshot (issue 13): nothing is given back on account of users or shows that could not
be read; with a complete snapshot the same state is given back as before (so each case can fail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cacherr.domain.cache import CacheEntry, CacheState
from cacherr.domain.media import Snapshot, Unread
from cacherr.planning import Policy, build_plan
from cacherr.testing import EPOCH, GB, cached, episode, movie

TB = 1024 * GB
M = movie("m", "Mystery", 2 * GB)
E = episode("e", "Show", 1, 1, show_key="s1")
ITEMS = {i.key: i for i in (M, E)}
LATER = EPOCH + timedelta(days=3)  # past retention


def plan(snapshot: Snapshot, entries: list[CacheEntry]) -> list[str]:
    p = build_plan(snapshot, CacheState(tuple(entries), 2 * TB, TB), Policy(), LATER)
    return [a.item_key or "" for a in p.to_restore]


CASES = [
    # plex.tv could not list users: alice is missing from users; the owner watched her movie
    ("users unlisted", ("owner",), {"m": frozenset({"owner"})}, cached(M, users=["alice"]),
     (Unread("users", "", "503"),)),
    # alice's token was refused this cycle
    ("user unread", ("owner", "alice"), {"m": frozenset({"owner"})}, cached(M, users=["alice"]),
     (Unread("user", "alice", "401"),)),
    # the show's episodes could not be read: its cached episode left every list past retention
    ("show unread", ("owner",), {}, cached(E, users=["owner"]), (Unread("show", "Show", "500", key="s1"),)),
]


@pytest.mark.parametrize(("name", "users", "watched", "entries", "unread"), CASES, ids=[c[0] for c in CASES])
def test_nothing_given_back_for_what_could_not_be_read(name: str, users: tuple[str, ...],
                                                       watched: dict[str, frozenset[str]],
                                                       entries: list[CacheEntry], unread: tuple[Unread, ...]) -> None:
    complete = Snapshot(LATER, users, ITEMS, watched_by=watched)
    assert plan(complete, entries) != []  # the same state, read completely, is given back
    incomplete = replace(complete, unread=unread)
    assert plan(incomplete, entries) == []
    notes = build_plan(incomplete, CacheState(tuple(entries), 2 * TB, TB), Policy(), LATER).notes
    assert any("incomplete snapshot" in n for n in notes)


def test_unread_user_does_not_protect_others_media() -> None:
    snap = Snapshot(LATER, ("owner", "bob"), ITEMS, watched_by={"m": frozenset({"owner"})},
                    unread=(Unread("user", "alice", "401"),))
    assert plan(snap, cached(M, users=["owner"])) == ["m"]
