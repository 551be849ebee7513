"""Health in words and the *arr conventions: /checks, /api/v1/checks, /api/v1/health, /api/v1/system/status,
/ping, the apikey query parameter, and "needs setup" while Plex is not configured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.web.conftest import SECRETS, World


@dataclass(frozen=True)
class DoctorCheck:  # the shape of cacherr.doctor.Check
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _with_checks(world: World, checks: list[DoctorCheck]) -> None:
    world.app.extensions["cacherr"].services.checks = lambda: checks


def test_an_unconfigured_install_says_needs_setup_and_health_stays_liveness(world: World) -> None:
    assert world.client.get("/api/v1/status").get_json()["needs_setup"] is True
    assert world.client.get("/health").status_code == 200
    problems = world.client.get("/api/v1/health").get_json()
    assert problems[0]["source"] == "PlexCheck" and problems[0]["type"] == "error"
    assert "needs setup" in problems[0]["message"] and problems[0]["wikiUrl"].startswith("https://")
    assert "needs setup" in world.client.get("/media").get_data(as_text=True).lower()


def test_the_health_page_lists_every_doctor_check_with_its_fix(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PLEX_TOKEN": SECRETS["PLEX_TOKEN"]})
    _with_checks(w, [DoctorCheck("movies: REAL_SOURCE (array) exists", False, "/nope does not exist",
                                 "create it or mount it into the container"),
                     DoctorCheck("state database", True, "cacherr.db (schema 5)")])
    body = w.client.get("/checks").get_data(as_text=True)
    assert "REAL_SOURCE (array) exists" in body and "create it or mount it" in body and "state database" in body
    out = w.client.get("/api/v1/checks").get_json()
    assert out["needs_setup"] is False
    assert {c["name"] for c in out["checks"]} >= {"state database", "movies: REAL_SOURCE (array) exists"}
    health = w.client.get("/api/v1/health").get_json()
    assert [h["source"] for h in health] == ["PathCheck"] and "Fix: create it" in health[0]["message"]


def test_a_crashing_check_is_a_failed_check_not_a_500(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PLEX_TOKEN": SECRETS["PLEX_TOKEN"]})

    def boom() -> list[DoctorCheck]:
        raise OSError("disk gone")

    w.app.extensions["cacherr"].services.checks = boom
    r = w.client.get("/api/v1/checks")
    assert r.status_code == 200 and any("disk gone" in c["detail"] for c in r.get_json()["checks"])


def test_ping_answers_get_and_head_without_auth(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"API_KEY": SECRETS["API_KEY"]})
    assert w.client.get("/ping").get_json() == {"status": "OK"}
    assert w.client.head("/ping").status_code == 200
    assert w.client.get("/api/v1/status").status_code == 401


def test_the_api_key_is_also_accepted_as_an_apikey_query_parameter(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"API_KEY": SECRETS["API_KEY"]})
    assert w.client.get("/api/v1/status", query_string={"apikey": SECRETS["API_KEY"]}).status_code == 200
    assert w.client.get("/api/v1/status", query_string={"apikey": "wrong"}).status_code == 401


def test_system_status_like_the_arrs(world: World) -> None:
    out = world.client.get("/api/v1/system/status").get_json()
    assert out["appName"] == "Cacherr" and out["appData"] == str(world.store.config_dir)
    assert out["runtimeVersion"].count(".") == 2 and out["startTime"] and out["needsSetup"] is True
