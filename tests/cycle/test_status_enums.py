"""Cycle status and trigger are enums (domain.report) whose values are what the history stored before: the
database rows and the JSON the API sends keep the same strings."""

from __future__ import annotations

import json

from cacherr.domain.media import Reason
from cacherr.domain.report import CycleStatus, Trigger
from tests.cycle.world import World


def test_stored_values_are_the_strings_the_history_always_held() -> None:
    assert [s.value for s in CycleStatus] == ["running", "ok", "partial", "failed", "skipped", "dry-run"]
    assert {t.value for t in Trigger} >= {"manual", "cli", "api", "schedule", "realtime", "session", "webhook",
                                          "restore", "restore-all", "recovery"}
    assert CycleStatus.DRY_RUN == "dry-run" and json.dumps({"s": CycleStatus.PARTIAL}) == '{"s": "partial"}'


def test_a_cycle_records_plain_strings(world: World) -> None:
    film = world.movie("m1", "Heat")
    world.want(film, "alice", Reason.WATCHLIST)
    report = world.service.run(Trigger.CLI)
    assert report.status is CycleStatus.OK and report.trigger is Trigger.CLI
    [row] = world.db.query("SELECT status, trigger, typeof(status) AS t FROM cycles")
    assert (row["status"], row["trigger"], row["t"]) == ("ok", "cli", "text")
    dry = world.service.run(Trigger.API, dry_run=True)
    assert dry.status is CycleStatus.DRY_RUN
    assert [h["status"] for h in world.service.history(5)] == ["dry-run", "ok"]
