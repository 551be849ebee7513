"""Authentication (API key, login), CSRF, redirects and the auth-off banner."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.security import generate_password_hash

from cacherr.web.auth import ADDR_FAIL_LIMIT
from tests.web.conftest import SECRETS, World

KEY = SECRETS["API_KEY"]


def login(w: World, username: str, password: str, nxt: str = "") -> tuple[int, str]:
    page = w.client.get("/login")
    assert page.status_code == 200
    token = w.csrf()
    r = w.client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                      "next": nxt})
    return r.status_code, r.headers.get("Location", "")


def test_api_key_is_required_when_set(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": KEY})
    assert w.client.get("/api/v1/status").status_code == 401
    assert w.client.get("/api/v1/status", headers={"X-Api-Key": "wrong"}).status_code == 401
    assert w.client.get("/api/v1/status", headers={"X-Api-Key": KEY}).status_code == 200
    assert w.client.get("/api/v1/openapi.json").status_code == 401
    assert w.client.get("/health").status_code == 200  # public for Docker's HEALTHCHECK
    r = w.client.get("/settings")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert b"Authentication is off" not in w.client.get("/login").data


def test_api_key_requests_need_no_csrf_token(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": KEY})
    r = w.client.post("/api/v1/plan/preview", headers={"X-Api-Key": KEY})
    assert r.status_code == 200


def test_login_with_password_then_logout(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "correct horse"})
    assert w.client.get("/").status_code == 302
    assert login(w, "admin", "wrong")[0] == 401
    assert login(w, "eve", "correct horse")[0] == 401
    status, where = login(w, "admin", "correct horse", nxt="/history")
    assert (status, where) == (302, "/history")
    assert w.client.get("/").status_code == 200
    assert w.client.get("/api/v1/status").status_code == 200  # the session works for the API
    page = w.client.get("/").data
    assert b"Sign out" in page and b"admin" in page
    assert w.client.post("/logout").status_code == 403  # CSRF token required
    assert w.client.post("/logout", data={"csrf_token": w.csrf()}).status_code == 302
    assert w.client.get("/api/v1/status").status_code == 401


def test_hashed_password_from_the_settings_file(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEB_USERNAME": "admin", "WEB_PASSWORD": generate_password_hash("s3cret pass")})
    assert login(w, "admin", "s3cret pass")[0] == 302


def test_only_an_api_key_signs_in_with_the_key(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": KEY})
    assert b"API key" in w.client.get("/login").data
    assert login(w, "", "not the key")[0] == 401
    assert login(w, "", KEY)[0] == 302
    assert w.client.get("/settings").status_code == 200


def test_login_next_is_never_an_open_redirect(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "pw-pw-pw"})
    for evil in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        status, where = login(w, "admin", "pw-pw-pw", nxt=evil)
        assert status == 302 and where == "/", evil


def test_login_without_a_csrf_token_is_refused(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "pw-pw-pw"})
    r = w.client.post("/login", data={"username": "admin", "password": "pw-pw-pw"})
    assert r.status_code == 403 and w.client.get("/api/v1/status").status_code == 401


def test_two_apps_in_one_process_keep_separate_login_throttles(world_factory: Callable[..., World]) -> None:
    """Issue 12.8: the address throttle was process-wide; one app's failures locked out another app's clients."""
    first = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "pw-pw-pw"})
    second = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "pw-pw-pw"})
    assert first.app.extensions["cacherr.addr_throttle"] is not second.app.extensions["cacherr.addr_throttle"]
    assert [login(first, "admin", f"guess{i}")[0] for i in range(ADDR_FAIL_LIMIT + 1)][-1] == 429
    assert login(second, "admin", "pw-pw-pw")[0] == 302


def test_repeated_failed_logins_are_throttled(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": "admin", "WEB_PASSWORD": "pw-pw-pw"})
    codes = [login(w, "admin", f"guess{i}")[0] for i in range(ADDR_FAIL_LIMIT + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    assert login(w, "admin", "pw-pw-pw")[0] == 429  # even the right password waits


def test_mutating_requests_without_csrf_token_are_rejected(world: World) -> None:
    for method, path in (("post", "/api/v1/cycles"), ("post", "/api/v1/media/restore-all"),
                         ("patch", "/api/v1/settings"), ("post", "/api/v1/plan/preview")):
        r = getattr(world.client, method)(path, json={})
        assert r.status_code == 403 and "CSRF" in r.get_json()["error"], path
        bad = getattr(world.client, method)(path, json={}, headers={"X-CSRF-Token": "forged-token-value-x"})
        assert bad.status_code == 403, path
    assert world.cycle.calls == []


def test_session_cookie_is_httponly_and_samesite(world: World) -> None:
    r = world.client.get("/api/v1/session")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "cacherr_session=" in cookie


def test_credentials_change_signs_sessions_out(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEB_USERNAME": "admin", "WEB_PASSWORD": "first-pass"})
    assert login(w, "admin", "first-pass")[0] == 302
    r = w.client.patch("/api/v1/settings", json={"WEB_PASSWORD": "second-pass"},
                       headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200
    assert w.client.get("/api/v1/status").status_code == 401
    assert login(w, "admin", "second-pass")[0] == 302
