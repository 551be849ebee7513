"""Notifications through the real Apprise library to a real local webhook receiver."""

from __future__ import annotations

import logging
import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cacherr.adapters.notify import AppriseNotifier
from cacherr.domain.report import CycleReport, OpOutcome
from cacherr.services.notify_text import format_cycle_summary

from .conftest import Receiver

GB = 1024**3
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SECRET = "s3cr3tPassw0rdXYZ"
PATH_TOKEN = "tok3nInThePath998877"


def report(**kw: object) -> CycleReport:
    base: dict[str, object] = {
        "cycle_id": 7, "trigger": "schedule", "started_at": T0, "finished_at": T0 + timedelta(seconds=75),
        "status": "partial",
        "cached": (OpOutcome("cache", "Dune (2021)", "/mnt/cache/movies/Dune.mkv", 8 * GB, True, "on deck"),),
        "restored": (OpOutcome("restore", "Heat (1995)", "/mnt/user0/movies/Heat.mkv", 2 * GB, True),),
        "failed": (OpOutcome("cache", "Alien (1979)", "/mnt/cache/movies/Alien.mkv", GB, False,
                             error="No space left on device"),),
        "problems": ("Trakt: refused the client id (401)",),
        "bytes_moved": 10 * GB, "cache_free_bytes": 120 * GB, "cache_used_by_cacherr": 40 * GB,
    }
    base.update(kw)
    return CycleReport(**base)  # type: ignore[arg-type]


def quiet_report() -> CycleReport:
    return report(status="ok", cached=(), restored=(), failed=(), problems=(), bytes_moved=0)


def notifier(*urls: str, **kw: object) -> AppriseNotifier:
    kw.setdefault("unraid_script", "")
    kw.setdefault("timeout", 5.0)
    return AppriseNotifier(list(urls), **kw)  # type: ignore[arg-type]


def test_cycle_summary_reaches_the_receiver_with_what_happened(receiver: Receiver) -> None:
    n = notifier(receiver.url())
    assert n.cycle_finished(report()) is True
    assert len(receiver.messages) == 1
    msg = receiver.messages[0].body
    assert msg["title"] == "Cacherr cycle: 1 cached, 1 given back, 1 failed"
    assert msg["type"] == "warning"
    text = msg["message"]
    for expected in ("10.0 GB moved in 1m 15s", "120.0 GB free", "Dune (2021): 8.0 GB", "Heat (1995)",
                     "Alien (1979): No space left on device", "Trakt: refused the client id (401)"):
        assert expected in text
    health = n.health()
    assert health["ok"] is True and health["sent"] == 1 and health["last_success"]


def test_format_failed_cycle_title_and_message() -> None:
    title, body = format_cycle_summary(report(status="failed", message="Plex unreachable: connection refused",
                                              cached=(), restored=(), failed=(), bytes_moved=0))
    assert title == "Cacherr cycle failed"
    assert body.startswith("Plex unreachable: connection refused")


@pytest.mark.parametrize(("level", "rep", "sent"), [
    ("summary", report(), True),
    ("summary", quiet_report(), False),
    ("errors", report(), True),
    ("errors", report(status="ok", failed=()), False),
    ("errors", report(status="failed", cached=(), restored=(), failed=()), True),
    ("every", report(), True),
])
def test_level_decides_which_cycles_are_sent(receiver: Receiver, level: str, rep: CycleReport,
                                             sent: bool) -> None:
    n = notifier(receiver.url(), level=level)
    assert n.cycle_finished(rep) is sent
    assert len(receiver.messages) == int(sent)


def test_every_level_sends_each_operation_without_waiting(receiver: Receiver) -> None:
    ok = OpOutcome("cache", "Dune (2021)", "/mnt/cache/movies/Dune.mkv", 8 * GB, True, "on deck", seconds=30)
    bad = OpOutcome("restore", "Heat (1995)", "/mnt/user0/Heat.mkv", GB, False, error="disk1 is read-only")
    assert notifier(receiver.url(), level="summary").operation_done(ok) is False
    n = notifier(receiver.url(), level="every")
    started = time.monotonic()
    for _ in range(5):  # many quick operations: none is dropped, none waits
        assert n.operation_done(ok) is True
    assert n.operation_done(bad) is True
    assert time.monotonic() - started < 0.5
    assert n.wait_idle(10)
    assert len(receiver.messages) == 6 and n.health()["sent"] == 6
    by_title = {m.body["title"]: m.body for m in receiver.messages}
    assert by_title["Cacherr: Cached Dune (2021)"]["type"] == "success"
    failed = by_title["Cacherr: Failed to give back Heat (1995)"]
    assert failed["type"] == "failure" and "disk1 is read-only" in failed["message"]


def test_secrets_in_the_url_never_reach_logs_or_health(receiver: Receiver,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    receiver.status = 500
    url = receiver.url(f"/hook/{PATH_TOKEN}", userinfo=f"user:{SECRET}")
    with caplog.at_level(logging.DEBUG):
        n = notifier(url)
        assert n.notify("t", "b") is False
        ok, message = n.send_test()
    assert ok is False
    assert receiver.messages and receiver.messages[0].path == f"/hook/{PATH_TOKEN}"  # it really was used
    everything = caplog.text + repr(n.health()) + message
    assert "not delivered" in caplog.text  # the failure is logged ...
    assert SECRET not in everything and PATH_TOKEN not in everything  # ... without the secrets
    assert "json://****" in repr(n.health())


def test_receiver_answering_500_is_logged_and_shown_in_health(receiver: Receiver,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    receiver.status = 500
    n = notifier(receiver.url())
    with caplog.at_level(logging.WARNING, logger="cacherr.adapters.notify"):
        assert n.cycle_finished(report()) is False
    health = n.health()
    assert health["ok"] is False and health["failed"] == 1 and health["last_failure"]
    assert "500" in health["last_error"]
    assert any("not delivered" in r.getMessage() for r in caplog.records)
    receiver.status = 200
    assert n.notify("again", "now it works") is True
    assert n.health()["ok"] is True


def test_hanging_receiver_does_not_delay_the_caller_beyond_the_timeout(receiver: Receiver) -> None:
    receiver.hang_seconds = 10
    n = notifier(f"{receiver.url()}?rto=30", timeout=0.5)
    started = time.monotonic()
    assert n.cycle_finished(report()) is False
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"the cycle waited {elapsed:.2f}s for a hanging receiver"
    assert "timed out" in n.health()["last_error"]
    # Further sends while it still hangs return at once instead of piling up threads.
    started = time.monotonic()
    n.notify("second", "b")
    n.notify("third", "b")
    assert time.monotonic() - started < 1.5
    assert "still hanging" in n.health()["last_error"]
    receiver.release.set()


def test_send_test_reports_success_and_a_missing_configuration(receiver: Receiver) -> None:
    ok, message = notifier(receiver.url()).send_test()
    assert ok is True and "json://****" in message
    assert receiver.messages[0].body["title"] == "Cacherr test notification"
    ok, message = notifier().send_test()
    assert ok is False and "NOTIFY_URLS" in message


def test_invalid_url_is_reported_masked_not_raised() -> None:
    n = notifier("notaservice://abc123secretvalue/xyz")
    assert n.notify("t", "b") is False
    health = n.health()
    assert health["invalid_targets"] and "abc123secretvalue" not in repr(health)


def _fake_unraid_notify(tmp_path: Path, exit_code: int = 0) -> tuple[Path, Path]:
    record = tmp_path / "argv.txt"
    script = tmp_path / "notify"
    script.write_text("#!/bin/sh\n"
                      f'for a in "$@"; do printf "%s\\n" "$a" >> "{record}"; done\n'
                      f"exit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_unraid_notify_script_gets_the_documented_arguments(tmp_path: Path) -> None:
    script, record = _fake_unraid_notify(tmp_path)
    n = notifier(unraid_script=str(script))
    assert n.health()["configured"] is True
    assert n.cycle_finished(report(status="failed", message="Plex unreachable", cached=(), restored=(),
                                   failed=())) is True
    argv = record.read_text().splitlines()
    assert argv[:8] == ["-e", "Cacherr", "-s", "Cacherr cycle failed", "-d", "Plex unreachable",
                        "-i", "alert"]
    assert argv[8] == "-m"
    assert n.health()["per_target"]["unraid"]["ok"] is True


def test_unraid_script_failing_or_absent(tmp_path: Path) -> None:
    script, _ = _fake_unraid_notify(tmp_path, exit_code=3)
    n = notifier(unraid_script=str(script))
    assert n.notify("t", "b", level="warning") is False
    assert "exited 3" in n.health()["last_error"]
    absent = notifier(unraid_script=str(tmp_path / "missing"))
    assert absent.health()["configured"] is False
    os.chmod(script, 0o644)  # not executable: ignored
    assert notifier(unraid_script=str(script)).health()["configured"] is False


@pytest.mark.parametrize(("url", "secrets"), [
    ("discord://123456789012345678/AbCdEfGhIjKlMnOp", {"123456789012345678", "AbCdEfGhIjKlMnOp"}),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234", {"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}),
    ("pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi", {"uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
                                                                            "azGDORePK8gMaC0QOYAMyEEuzJnyUi"}),
    ("mailtos://me:app-pass-word@gmail.com?to=me@example.com", {"app-pass-word", "me@example.com"}),
    ("gotify://gotify.example.org/AppTokenValue1", {"AppTokenValue1"}),
])
def test_every_secret_part_of_a_service_url_is_scrubbed(url: str, secrets: set[str]) -> None:
    from cacherr.adapters.notify_secrets import SecretScrubber

    scrubber = SecretScrubber()
    scrubber.add_urls([url])
    text = f"posting to {url} with " + " and ".join(sorted(secrets))
    scrubbed = scrubber.scrub(text)
    assert not any(s in scrubbed for s in secrets), scrubbed
