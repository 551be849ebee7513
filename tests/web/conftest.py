"""Fixtures for the web tests: a real settings store, a real SQLite database and hand-written fakes of
the services the web layer calls (the cycle service and the scheduler), built to the same protocols."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cacherr.adapters.local_disk import LocalDisk
from cacherr.adapters.sqlite_kept_off import SqliteKeptOff as ExclusionStore
from cacherr.adapters.sqlite_plays import SqlitePlayStarts as PlayLog
from cacherr.adapters.sqlite_read_models import SqliteReadModels
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode, Plan, Skip
from cacherr.domain.errors import CycleBusy
from cacherr.domain.media import Reason
from cacherr.domain.paths import PathMapper
from cacherr.domain.report import CycleReport, OpOutcome
from cacherr.domain.viewing import Exclusion, HitRate
from cacherr.logs import RingBuffer
from cacherr.services.progress import ProgressBoard
from cacherr.services.queries import Queries
from cacherr.settings_store import SettingsStore
from cacherr.web.app import create_app
from cacherr.web.services import WebServices
from tests.web.chromium import checked_page, chromium_browser

SECRETS = {
    "PLEX_TOKEN": "plexTOKENsecret123456",
    "API_KEY": "apiKEYsecret-abcdef-987654",
    "WEBHOOK_SECRET": "hookSECRET-5555-xyz",
    "TRAKT_CLIENT_ID": "traktCLIENTsecret-42424242",
}


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeCycle:
    """The cycle service's web-facing methods over the real database; ``gate`` holds a run open."""

    db: Database
    progress: ProgressBoard
    gate: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    plan: Plan | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def preview(self) -> Plan:
        self.calls.append(("preview", None))
        return sample_plan()

    def last_plan(self) -> Plan | None:
        return self.plan

    def run(self, trigger: str, dry_run: bool = False) -> CycleReport:
        if not self._lock.acquire(blocking=False):
            raise CycleBusy("busy")
        try:
            self.calls.append(("run", (trigger, dry_run)))
            started = now()
            cid = self.db.execute("INSERT INTO cycles (started_at, trigger, dry_run) VALUES (?,?,?)",
                                  (started.isoformat(), trigger, int(dry_run)))
            self.progress.start(cid, "cache", "/cache/movies/Big.mkv", "Big Movie (2020)", 1000)
            self.gate.wait(10)
            for done in (250, 500, 1000):
                self.progress.update(cid, done)
                time.sleep(0.01)
            self.progress.finish(cid)
            self.plan = sample_plan()
            report = CycleReport(cid, trigger, started, now(), "dry-run" if dry_run else "ok", dry_run=dry_run,
                                 cached=(OpOutcome("cache", "Big Movie", "/cache/movies/Big.mkv", 1000, True),),
                                 bytes_moved=1000)
            summary = {"cached": 1, "restored": 0, "failed": 0, "bytes_moved": 1000}
            self.db.execute("UPDATE cycles SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                            (now().isoformat(), report.status, json.dumps(summary), cid))
            return report
        finally:
            self._lock.release()

    def restore_item(self, entry_id: int, keep_off: bool = False) -> object:
        if keep_off:
            entry = SqliteCacheRegistry(self.db).get(entry_id)
            ExclusionStore(self.db).add([entry] if entry else [], now())
        self.calls.append(("restore_item", entry_id) if not keep_off else ("restore_item_keep_off", entry_id))
        return None

    def exclusions(self) -> list[Exclusion]:
        return ExclusionStore(self.db).all()

    def let_back_in(self, exclusion_id: int) -> Exclusion | None:
        return ExclusionStore(self.db).remove(exclusion_id)

    def hit_rate(self, days: int = 7) -> HitRate:
        return PlayLog(self.db).hit_rate(now(), days)

    def pin(self, entry_id: int, pinned: bool) -> object:
        self.calls.append(("pin", (entry_id, pinned)))
        SqliteCacheRegistry(self.db).set_pinned(entry_id, pinned)
        return None

    def restore_all(self) -> object:
        self.calls.append(("restore_all", None))
        return None


@dataclass
class FakeScheduler:
    running: bool = True
    next_run_time: datetime | None = None
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    def handle_plex_webhook(self, payload: dict[str, Any]) -> dict[str, str]:
        """Like scheduler.CacheScheduler: queue the work, answer at once."""
        self.webhooks.append(payload)
        self.received.set()
        if payload.get("event") != "media.play":
            return {"event": str(payload.get("event")), "action": "ignored", "detail": "not a play event"}
        who = payload.get("Account", {}).get("title", "?")  # from the payload: the test sees it passed through
        return {"event": "media.play", "action": "cache-next", "detail": f"next episodes for {who}"}


@dataclass
class FakeNotifier:
    sent: list[tuple[str, str]] = field(default_factory=list)
    targets: Callable[[], bool] = lambda: True  # whether a target is configured

    def notify(self, title: str, body: str, *, level: str = "info") -> bool:
        self.sent.append((title, body))
        return True

    def cycle_finished(self, report: CycleReport) -> bool:
        return self.notify(f"cycle {report.status}", report.message)

    def operation_done(self, outcome: OpOutcome) -> bool:
        return False

    @property
    def enabled(self) -> bool:
        return self.targets()

    def send_test(self) -> tuple[bool, str]:
        return self.notify("Cacherr test notification", "test"), "delivered"


def sample_plan() -> Plan:
    return Plan(
        created_at=now(),
        actions=(Action(ActionKind.CACHE, "/array/tv/Show/S01E02.mkv", "/cache/tv/Show/S01E02.mkv", 2_000_000,
                        Reason.NEXT_EPISODE, "next episode after S01E01 for alice", "102", "Show S01E02",
                        frozenset({"alice"})),
                 Action(ActionKind.RESTORE, "/array/movies/Old.mkv", "/cache/movies/Old.mkv", 5_000_000,
                        Reason.PRE_EXISTING, "watched by everyone interested", "9", "Old Movie")),
        skips=(Skip("/array/movies/Huge.mkv", "Huge Movie", "over the budget", 9_000_000_000),),
        budget_bytes=10_000_000_000, usage_before=5_000_000, usage_after=2_000_000,
        notes=("Trakt trending, not in your library: Dune Part Three (2026)",),
    )


@dataclass
class World:
    root: Path
    store: SettingsStore
    db: Database
    progress: ProgressBoard
    cycle: FakeCycle
    scheduler: FakeScheduler
    notifier: FakeNotifier
    app: Flask
    client: FlaskClient
    ring: RingBuffer  # the app's log tail (a test adds it to a logger to feed it)

    def add_entry(self, name: str, *, user: str = "alice", reason: Reason = Reason.ON_DECK,
                  library: str = "Movies", size: int = 1000, cache_path: str | None = None) -> int:
        entry = CacheEntry(cache_path=cache_path or f"{self.root}/cache/movies/{name}.mkv",
                           array_path=f"{self.root}/array/movies/{name}.mkv", size=size, mode=CacheMode.COPY,
                           cached_at=now(), item_key=name, title=name, library=library, reason=reason,
                           users=frozenset({user}))
        saved = SqliteCacheRegistry(self.db).upsert(entry)
        assert saved.id is not None
        return saved.id

    def csrf(self) -> str:
        r = self.client.get("/api/v1/session")
        return str(r.get_json()["csrf_token"])


def make_world(tmp_path: Path, env: dict[str, str] | None = None, saved: dict[str, Any] | None = None) -> World:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    for d in ("array", "cache", "plex"):
        (tmp_path / d).mkdir(exist_ok=True)
    base = {"PLEX_SOURCE": str(tmp_path / "plex"), "REAL_SOURCE": str(tmp_path / "array"),
            "CACHE_DESTINATION": str(tmp_path / "cache"), "SCHEDULE": "off"}
    (config / "cacherr_config.json").write_text(json.dumps({**base, **(saved or {})}))
    store = SettingsStore(config, env or {})
    db = open_database(config / "cacherr.db")
    progress = ProgressBoard()
    ring = RingBuffer()
    cycle = FakeCycle(db, progress)
    scheduler = FakeScheduler()
    notifier = FakeNotifier(targets=lambda: bool(store.current.NOTIFY_URLS))
    services = WebServices(store=store, queries=Queries(SqliteReadModels(db), LocalDisk()), progress=progress, cycle=cycle, scheduler=scheduler,
                           notifier=lambda: notifier, plex_ping=lambda: True, db_ping=db.ping, log_tail=ring.tail,
                           path_mapper=lambda: PathMapper(store.current.path_mappings()))
    app = create_app(services, store)
    app.config["TESTING"] = True
    return World(tmp_path, store, db, progress, cycle, scheduler, notifier, app, app.test_client(), ring)


@pytest.fixture
def world(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.db.close()


@pytest.fixture
def world_factory(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def factory(env: dict[str, str] | None = None, saved: dict[str, Any] | None = None) -> World:
        w = make_world(tmp_path, env, saved)
        made.append(w)
        return w

    yield factory
    for w in made:
        w.db.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# --- the real Chromium, for the browser-test modules (each defines its own ``live`` stack) ------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per module (tests/web/chromium.py); skips, or fails under CACHERR_REQUIRE_ALL, without it."""
    with chromium_browser() as b:
        yield b


@pytest.fixture
def page(browser: Any, live: Any) -> Iterator[Any]:
    """A desktop page on the module's ``live`` stack that fails the test on a JS error (a module overrides it
    for other page options, e.g. a time zone)."""
    with checked_page(browser, live.url) as pg:
        yield pg

