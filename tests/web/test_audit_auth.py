"""Security audit regressions: authentication on every route, the sign-in throttle, proxies, cookies,
redirects, sign-out and password storage."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

import pytest
from itsdangerous import BadSignature
from werkzeug.routing import Rule

from cacherr.web.app import create_app
from cacherr.web.auth import ADDR_FAIL_LIMIT, LoginThrottle
from tests.web.conftest import SECRETS, World

KEY = SECRETS["API_KEY"]
USER, PASSWORD = "admin", "correct-horse-battery"
PUBLIC = {"static", "health.health", "auth.login", "auth.login_post", "api.plex_webhook", "api.session_info",
          "checks.ping"}  # /ping: liveness for *arr-style monitors, says nothing else


def _url(rule: Rule) -> str:
    """A concrete URL for ``rule`` (converters filled with a plausible value)."""
    url = rule.rule
    for conv, arg in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", url):
        value = "1" if conv == "int" else "x"
        url = re.sub(r"<[^>]*\b" + arg + ">", value, url, count=1)
    return url


@pytest.mark.parametrize("env", [
    {"API_KEY": KEY},
    {"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD},
    {"API_KEY": KEY, "WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD},
], ids=["api-key", "password", "both"])
def test_audit_every_registered_route_requires_auth(world_factory: Callable[..., World], env: dict[str, str]) -> None:
    w = world_factory(env=env)
    entry = w.add_entry("Guarded")
    checked = 0
    for rule in w.app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = _url(rule).replace("/media/1", f"/media/{entry}")
            # with a valid CSRF token of an anonymous session: authentication alone must stop it
            r = w.client.open(url, method=method, json={}, headers={"X-CSRF-Token": w.csrf()})
            if rule.rule.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            else:
                assert r.status_code == 302 and "/login" in r.headers["Location"], (method, url, r.status_code)
            checked += 1
    assert checked >= 20  # every page and every API endpoint
    assert w.cycle.calls == []  # nothing ran
    assert json.loads(w.store.path.read_text()).get("API_KEY") is None


def test_audit_public_routes_are_only_the_documented_ones(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"API_KEY": KEY})
    assert w.client.get("/health").status_code == 200
    assert w.client.get("/login").status_code == 200
    session = w.client.get("/api/v1/session").get_json()
    assert session["user"] is None and session["auth_enabled"] is True
    assert w.client.post("/api/v1/webhook/plex", data={"payload": "{}"}).status_code == 403
    assert w.client.post("/login", data={"password": KEY}).status_code == 403  # login CSRF
    with w.client.get("/static/cacherr.js") as js:  # a static file is streamed: close it
        assert js.status_code == 200


def _login(w: World, password: str, headers: dict[str, str] | None = None, nxt: str = "") -> tuple[int, str]:
    token = w.csrf()
    r = w.client.post("/login", data={"username": USER, "password": password, "csrf_token": token, "next": nxt},
                      headers=headers or {})
    return r.status_code, r.headers.get("Location", "")


def test_audit_login_throttle_ignores_forged_x_forwarded_for(world_factory: Callable[..., World]) -> None:
    """A client that is not a trusted proxy could pick a new X-Forwarded-For per guess and never be throttled."""
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD})
    w.client.environ_base["REMOTE_ADDR"] = "203.0.113.5"  # a public address: no proxy of ours
    codes = [_login(w, f"guess-{i}", {"X-Forwarded-For": f"198.51.100.{i}"})[0] for i in range(ADDR_FAIL_LIMIT + 1)]
    assert codes[-1] == 429, codes
    assert _login(w, PASSWORD, {"X-Forwarded-For": "198.51.100.200"})[0] == 429


def test_audit_trusted_proxy_headers_apply_only_from_trusted_proxies(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEB_TRUSTED_PROXIES": "127.0.0.1"})
    headers = {"X-Forwarded-Prefix": "/sub-path", "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}
    page = w.client.get("/", headers=headers).get_data(as_text=True)  # from 127.0.0.1: configured as a proxy
    assert 'content="/sub-path/api/v1"' in page
    w.client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    page = w.client.get("/", headers=headers).get_data(as_text=True)
    assert 'content="/api/v1"' in page and "/sub-path" not in page
    # the setting applies at once; empty trusts nobody
    w.client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert w.client.patch("/api/v1/settings", json={"WEB_TRUSTED_PROXIES": ""},
                          headers={"X-CSRF-Token": w.csrf()}).status_code == 200
    assert "/sub-path" not in w.client.get("/", headers=headers).get_data(as_text=True)
    bad = w.client.patch("/api/v1/settings", json={"WEB_TRUSTED_PROXIES": "my-proxy"},
                         headers={"X-CSRF-Token": w.csrf()})
    assert bad.status_code == 422 and "WEB_TRUSTED_PROXIES" in bad.get_json()["fields"]


def test_audit_login_throttle_caps_one_peer_rotating_addresses(world_factory: Callable[..., World]) -> None:
    """A client on the LAN (a trusted network) can set X-Forwarded-For: its real address is capped too."""
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD})
    w.app.extensions["cacherr.peer_throttle"] = LoginThrottle(limit=4)
    w.client.environ_base["REMOTE_ADDR"] = "192.168.1.50"
    codes = [_login(w, f"guess-{i}", {"X-Forwarded-For": f"10.9.9.{i}"})[0] for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]


def test_audit_session_cookie_is_secure_behind_an_https_proxy(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEB_TRUSTED_PROXIES": "127.0.0.1"})
    plain = w.client.get("/api/v1/session").headers["Set-Cookie"]
    assert "Secure" not in plain and "HttpOnly" in plain and "SameSite=Lax" in plain
    w.client.delete_cookie("cacherr_session")
    https = w.client.get("/api/v1/session", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "Secure" in https and "HttpOnly" in https
    w.client.delete_cookie("cacherr_session")
    w.client.environ_base["REMOTE_ADDR"] = "203.0.113.5"  # not a proxy: its header is not believed
    forged = w.client.get("/api/v1/session", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "Secure" not in forged


def test_audit_login_next_rejects_backslash_open_redirect(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD})
    for evil in ("/\\evil.example", "/\\/evil.example/", "/\t/evil.example", "/ /evil.example", "/\x00/x"):
        w.client.delete_cookie("cacherr_session")
        status, where = _login(w, PASSWORD, nxt=evil)
        assert status == 302 and where == "/", (evil, where)
    w.client.delete_cookie("cacherr_session")
    assert _login(w, PASSWORD, nxt="/media?q=x%20y")[1] == "/media?q=x%20y"


def test_audit_logout_revokes_a_copied_session_cookie(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD})
    assert _login(w, PASSWORD)[0] == 302
    stolen = w.client.get_cookie("cacherr_session")
    assert stolen is not None
    assert w.client.post("/logout", data={"csrf_token": w.csrf()}).status_code == 302
    w.client.set_cookie("cacherr_session", stolen.value)
    assert w.client.get("/api/v1/status").status_code == 401
    # ...and after a restart (a new app on the same config folder)
    services = w.app.extensions["cacherr"].services
    again = create_app(services, w.store).test_client()
    again.set_cookie("cacherr_session", stolen.value)
    assert again.get("/api/v1/status").status_code == 401
    # a fresh sign-in works
    w.client.delete_cookie("cacherr_session")
    assert _login(w, PASSWORD)[0] == 302 and w.client.get("/api/v1/status").status_code == 200


def test_audit_a_changed_signing_key_refuses_cookies_signed_with_the_old_one(
        world_factory: Callable[..., World]) -> None:
    """A new signing key takes effect at once: a cookie signed with the old one is refused (and works again
    with the old key), so a serializer kept between requests (by Flask or by us) cannot outlive its key."""
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD})
    assert _login(w, PASSWORD)[0] == 302
    assert w.client.get("/api/v1/status").status_code == 200
    cookie = w.client.get_cookie("cacherr_session")
    assert cookie is not None
    signer = w.app.session_interface.get_signing_serializer  # type: ignore[attr-defined]
    assert signer(w.app).loads(cookie.value)["user"] == USER
    old = w.app.secret_key
    w.app.secret_key = b"k" * 48
    with pytest.raises(BadSignature):
        signer(w.app).loads(cookie.value)
    assert w.client.get("/api/v1/status").status_code == 401
    w.app.secret_key = old
    assert w.client.get("/api/v1/status").status_code == 200


def test_audit_session_cookie_carries_no_plain_hash_of_the_credentials(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD, "API_KEY": KEY})
    assert _login(w, PASSWORD)[0] == 302
    cookie = w.client.get_cookie("cacherr_session")
    assert cookie is not None
    data = w.app.session_interface.get_signing_serializer(w.app).loads(cookie.value)  # type: ignore[attr-defined]
    plain = hashlib.sha256("\0".join((USER, PASSWORD, KEY)).encode()).hexdigest()
    assert data["fp"] and data["fp"] not in plain  # a guess of the password cannot be checked offline


def test_audit_malformed_password_hash_is_refused_not_500(world_factory: Callable[..., World]) -> None:
    for stored in ("pbkdf2:sha256:abc$salt$hex", "scrypt:1:2:3$x$y"):
        w = world_factory(saved={"WEB_USERNAME": USER, "WEB_PASSWORD": stored})
        assert _login(w, "anything")[0] == 401


def test_audit_password_that_looks_like_a_hash_is_still_hashed(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEB_USERNAME": USER})
    clear = "pbkdf2:my-clear-password"
    r = w.client.patch("/api/v1/settings", json={"WEB_PASSWORD": clear}, headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200
    saved = w.store.path.read_text()
    assert clear not in saved and "my-clear-password" not in saved
    assert _login(w, clear)[0] == 302
    # the saved hash sent back is kept as it is (not hashed twice)
    stored = json.loads(saved)["WEB_PASSWORD"]
    r = w.client.patch("/api/v1/settings", json={"WEB_PASSWORD": stored}, headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200 and json.loads(w.store.path.read_text())["WEB_PASSWORD"] == stored


@pytest.mark.parametrize("signed_in", [True, False], ids=["session", "auth-off"])
def test_audit_every_mutating_route_needs_the_csrf_token(world_factory: Callable[..., World], signed_in: bool) -> None:
    """Cookie-authenticated (or unauthenticated, auth off) changes need the session's token; only the
    webhook (its own secret) and the sign-in form (checked in the view) are outside the guard."""
    w = world_factory(env={"WEB_USERNAME": USER, "WEB_PASSWORD": PASSWORD} if signed_in else {})
    if signed_in:
        assert _login(w, PASSWORD)[0] == 302
    entry = w.add_entry("Guarded")
    before = w.store.path.read_text()
    checked = 0
    for rule in w.app.url_map.iter_rules():
        if rule.endpoint in ("api.plex_webhook",):
            continue
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            url = _url(rule).replace("/media/1", f"/media/{entry}")
            for headers in ({}, {"X-CSRF-Token": "forged-token-value-0123456789"}):
                r = w.client.open(url, method=method, json={"WEB_USERNAME": "eve"}, headers=headers)
                assert r.status_code == 403, (method, url, headers, r.status_code)
            checked += 1
    assert checked >= 9
    assert w.cycle.calls == [] and w.store.path.read_text() == before
    if signed_in:
        assert w.client.get("/api/v1/status").status_code == 200  # still signed in: logout was refused too


def test_audit_login_throttle_forgets_old_addresses() -> None:
    """Failed sign-ins from ever new addresses must not grow the throttle's memory without bound."""
    import time

    throttle = LoginThrottle(limit=3, window=0.05)
    throttle.MAX_ADDRESSES = 20
    for i in range(200):
        throttle.failed(f"10.1.{i // 256}.{i % 256}")
        if i % 20 == 19:
            time.sleep(0.06)
    assert len(throttle._fails) <= 40
    throttle.failed("10.9.9.9")
    throttle.failed("10.9.9.9")
    throttle.failed("10.9.9.9")
    assert throttle.blocked("10.9.9.9")
