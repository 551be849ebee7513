"""Issue 11, "Safe on an open LAN": each finding as a regression test against the real app (Flask's test
client) or the real server (waitress over HTTP). The file-level ones (the exclude list) are in
tests/fileops/test_exclude_security.py, the CLI ones in tests/foundation/test_security_cli.py."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from cacherr.web.server import start_in_thread
from tests.web.conftest import World

API_KEY = "an-api-key-long-enough-42"


def _patch(w: World, values: dict[str, object], **headers: str) -> tuple[int, dict[str, object]]:
    r = w.client.patch("/api/v1/settings", json=values, headers={"X-CSRF-Token": w.csrf(), **headers})
    return r.status_code, r.get_json()


# --- 1. MOVER_EXCLUDE_FILE refused at save time ---------------------------------------------------
def test_issue11_exclude_file_pointing_at_a_media_file_is_refused_at_save(world: World) -> None:
    media = world.root / "array" / "Heat.mkv"
    media.write_bytes(b"video" * 100)
    status, body = _patch(world, {"MOVER_EXCLUDE_FILE": str(media)})
    assert status == 422 and "MOVER_EXCLUDE_FILE" in body["fields"]  # type: ignore[operator]
    assert media.read_bytes() == b"video" * 100


def test_issue11_exclude_file_pointing_at_the_database_is_refused_at_save(world: World) -> None:
    db = world.store.config_dir / "cacherr.db"
    status, body = _patch(world, {"MOVER_EXCLUDE_FILE": str(db)})
    assert status == 422
    assert "Cacherr's own files" in body["fields"]["MOVER_EXCLUDE_FILE"]  # type: ignore[index]


def test_issue11_exclude_file_foreign_or_fifo_in_config_dir_is_refused_at_save(world: World) -> None:
    foreign = world.store.config_dir / "notes.txt"
    foreign.write_text("my notes\n")
    status, body = _patch(world, {"MOVER_EXCLUDE_FILE": str(foreign)})
    assert status == 422 and "did not create" in body["fields"]["MOVER_EXCLUDE_FILE"]  # type: ignore[index]
    fifo = world.store.config_dir / "pipe.txt"
    import os

    os.mkfifo(fifo)
    status, body = _patch(world, {"MOVER_EXCLUDE_FILE": str(fifo)})
    assert status == 422 and "not a regular file" in body["fields"]["MOVER_EXCLUDE_FILE"]  # type: ignore[index]
    ok, _ = _patch(world, {"MOVER_EXCLUDE_FILE": str(world.store.config_dir / "mover_exclude.txt")})
    assert ok == 200


# --- 2. env-only settings, the Host rule, the one-step sign-in ------------------------------------
@pytest.mark.parametrize(("name", "value"), [
    ("PLEX_TV_URL", "http://attacker.example"), ("TRAKT_URL", "http://attacker.example"),
    ("UNRAID_NOTIFY_SCRIPT", "/bin/bash")])
def test_issue11_settings_that_send_secrets_or_run_programs_are_env_only(world: World, name: str,
                                                                        value: str) -> None:
    status, body = _patch(world, {name: value})
    assert status == 422 and "environment" in body["fields"][name]  # type: ignore[index]
    assert getattr(world.store.current, name) != value
    row = next(s for s in world.client.get("/api/v1/settings").get_json()["settings"] if s["name"] == name)
    assert row["locked"] is True  # the dashboard shows it read-only


def test_issue11_plex_token_cannot_be_sent_to_a_new_server_without_retyping_it(
        world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PLEX_TOKEN": "owner-token-123456", "PLEX_URL": "http://192.168.1.10:32400"})
    status, body = _patch(w, {"PLEX_URL": "http://203.0.113.7:32400"})
    assert status == 422 and "token" in body["fields"]["PLEX_URL"]  # type: ignore[index]
    assert w.store.current.PLEX_URL == "http://192.168.1.10:32400"
    status, _ = _patch(w, {"PLEX_URL": "http://192.168.1.11:32400", "PLEX_TOKEN": "owner-token-123456"})
    assert status == 200  # the owner, who knows the token, can move it


def test_issue11_env_only_value_in_the_saved_file_is_ignored(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PLEX_TV_URL": "http://attacker.example", "UNRAID_NOTIFY_SCRIPT": "/bin/bash"})
    assert w.store.current.PLEX_TV_URL == "" and w.store.current.UNRAID_NOTIFY_SCRIPT != "/bin/bash"


def test_issue11_exclude_file_outside_config_dir_is_env_only(world: World, tmp_path: Path) -> None:
    status, body = _patch(world, {"MOVER_EXCLUDE_FILE": str(tmp_path / "elsewhere.txt")})
    assert status == 422 and "CONFIG_DIR" in body["fields"]["MOVER_EXCLUDE_FILE"]  # type: ignore[index]


@pytest.mark.parametrize("host", ["attacker.example", "rebind.attacker.example:5445", "evil.example."])
def test_issue11_dns_rebinding_host_is_refused_while_sign_in_is_off(world: World, host: str) -> None:
    r = world.client.get("/api/v1/session", headers={"Host": host})
    assert r.status_code == 403 and "WEB_ALLOWED_HOSTS" in r.get_json()["error"]
    assert world.client.post("/api/v1/cycle", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["192.168.1.10:5445", "[::1]:5445", "tower", "tower:5445", "localhost:5445",
                                  "cacherr.home.lan"])
def test_issue11_ip_single_label_localhost_and_allowed_names_pass(world_factory: Callable[..., World],
                                                                   host: str) -> None:
    w = world_factory(saved={"WEB_ALLOWED_HOSTS": "cacherr.home.lan"})
    assert w.client.get("/api/v1/session", headers={"Host": host}).status_code == 200


def test_issue11_host_rule_is_off_once_sign_in_is_on(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": API_KEY})
    r = w.client.get("/api/v1/status", headers={"Host": "cacherr.example.org", "X-Api-Key": API_KEY})
    assert r.status_code == 200


def test_issue11_banner_turns_sign_in_on_in_one_step(world: World) -> None:
    page = world.client.get("/").get_data(as_text=True)
    assert 'id="enable-signin"' in page
    r = world.client.post("/signin/enable", data={"username": "owner", "password": "correct-horse-9",
                                                  "csrf_token": world.csrf(), "next": "/settings"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/settings")
    assert world.store.current.web_auth_enabled
    saved = json.loads(world.store.path.read_text())
    assert saved["WEB_USERNAME"] == "owner" and "correct-horse" not in saved["WEB_PASSWORD"]
    assert world.client.get("/api/v1/status").status_code == 200  # this browser is signed in
    world.client.delete_cookie("cacherr_session")
    assert world.client.get("/api/v1/status").status_code == 401
    assert 'id="enable-signin"' not in world.client.get("/login").get_data(as_text=True)


def test_issue11_banner_form_needs_csrf_and_a_real_password(world: World) -> None:
    assert world.client.post("/signin/enable", data={"username": "a", "password": "long-enough"}).status_code == 403
    r = world.client.post("/signin/enable", data={"username": "a", "password": "short", "csrf_token": world.csrf()})
    assert r.status_code == 422 and not world.store.current.web_auth_enabled


# --- 3. a saved setting can never brick the next start --------------------------------------------
@pytest.mark.parametrize(("name", "value", "words"), [
    ("SCHEDULE", "0 24 * * *", "cron"), ("TZ", "Mars/Olympus", "time zone"),
    ("PATH_MAPPINGS", [{"name": "m", "plex_path": "data/movies", "real_path": "/a", "cache_path": "/b"}],
     "absolute")])
def test_issue11_invalid_value_from_the_web_is_422_naming_the_field(world: World, name: str, value: object,
                                                                    words: str) -> None:
    before = world.store.path.read_text()
    status, body = _patch(world, {name: value})
    assert status == 422 and words in body["fields"][name]  # type: ignore[index]
    assert world.store.path.read_text() == before
    from cacherr.settings_store import SettingsStore

    SettingsStore(world.store.config_dir, {})  # the next start still works


def test_issue11_path_mappings_from_web_cannot_override_env_locked_paths(world_factory: Callable[..., World],
                                                                        tmp_path: Path) -> None:
    w = world_factory(env={"REAL_SOURCE": str(tmp_path / "array")})
    mapping = [{"name": "m", "plex_path": "/data", "real_path": "/x", "cache_path": "/y"}]
    status, body = _patch(w, {"PATH_MAPPINGS": mapping})
    assert status == 422 and "REAL_SOURCE" in body["fields"]["PATH_MAPPINGS"]  # type: ignore[index]


# --- 6. the smaller ones --------------------------------------------------------------------------
def test_issue11_short_api_key_is_refused(world: World) -> None:
    status, body = _patch(world, {"API_KEY": "x"})
    assert status == 422 and "16" in body["fields"]["API_KEY"]  # type: ignore[index]


def test_issue11_wrong_api_keys_are_throttled(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": API_KEY})
    codes = [w.client.get("/api/v1/status", headers={"X-Api-Key": f"guess-{i:020d}"}).status_code
             for i in range(25)]
    assert codes[0] == 401 and codes[-1] == 429
    assert w.client.get("/api/v1/status", headers={"X-Api-Key": API_KEY}).status_code == 429  # for a while


def test_issue11_forged_x_forwarded_for_from_the_lan_cannot_lock_the_owner_out(
        world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": "owner", "WEB_PASSWORD": "owner-password-1"})
    w.client.environ_base["REMOTE_ADDR"] = "192.168.1.66"  # the attacker on the LAN
    for i in range(12):
        w.client.post("/login", data={"username": "owner", "password": f"bad{i}", "csrf_token": w.csrf()},
                      headers={"X-Forwarded-For": "192.168.1.10"})
    w.client.environ_base["REMOTE_ADDR"] = "192.168.1.10"  # the owner
    r = w.client.post("/login", data={"username": "owner", "password": "owner-password-1",
                                      "csrf_token": w.csrf()})
    assert r.status_code == 302


def test_issue11_password_without_username_is_refused(world: World) -> None:
    status, body = _patch(world, {"WEB_PASSWORD": "a-password-123"})
    assert status == 422 and "WEB_USERNAME" in body["fields"]["WEB_PASSWORD"]  # type: ignore[index]


def test_issue11_new_password_containing_stars_is_saved(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": API_KEY})
    h = {"X-Api-Key": API_KEY}
    r = w.client.patch("/api/v1/settings", json={"WEB_USERNAME": "owner", "WEB_PASSWORD": "my****pass-1"}, headers=h)
    assert r.status_code == 200, r.get_json()
    from cacherr.web.auth import password_matches

    assert password_matches(w.store.current.WEB_PASSWORD.get_secret_value(), "my****pass-1")
    row = next(s for s in w.client.get("/api/v1/settings", headers=h).get_json()["settings"]
               if s["name"] == "WEB_PASSWORD")
    assert row["value"] == "****"  # never the last characters
    again = w.client.patch("/api/v1/settings", json={"WEB_PASSWORD": "****"}, headers=h)
    assert again.status_code == 200
    assert password_matches(w.store.current.WEB_PASSWORD.get_secret_value(), "my****pass-1")


def test_issue11_immutable_settings_file_is_one_clear_line_not_a_500(world: World) -> None:
    import subprocess

    from tests.conftest import require, require_tool

    require_tool("chattr")
    config = world.store.config_dir
    flagged = subprocess.run(["chattr", "+i", str(config)], capture_output=True).returncode == 0
    require(flagged, "the temporary folder's filesystem has no immutable flag (chattr +i)")
    try:
        status, body = _patch(world, {"NUMBER_EPISODES": 7})
    finally:
        subprocess.run(["chattr", "-i", str(config)], check=True)
    assert status == 503 and "could not be saved" in str(body["error"]), body
    assert world.store.current.NUMBER_EPISODES != 7


def test_issue11_forwarded_prefix_cannot_become_a_redirect_host(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": API_KEY}, saved={"WEB_TRUSTED_PROXIES": "127.0.0.1"})
    r = w.client.get("/settings", headers={"X-Forwarded-Prefix": "//evil.example"})
    assert r.status_code == 302 and "evil.example" not in r.headers["Location"]
    ok = w.client.get("/settings", headers={"X-Forwarded-Prefix": "/cacherr"})
    assert ok.headers["Location"].startswith("/cacherr/login")


def test_issue11_idle_connections_do_not_stop_health(world: World) -> None:
    server = start_in_thread(world.app, "127.0.0.1", 0)
    idle: list[socket.socket] = []
    try:
        host, port = server.url.removeprefix("http://").split(":")
        for _ in range(150):
            idle.append(socket.create_connection((host, int(port)), timeout=5))
        time.sleep(0.5)
        with urllib.request.urlopen(server.url + "/health", timeout=10) as r:
            assert r.status == 200
    finally:
        for s in idle:
            s.close()
        server.stop()
