"""Security audit regressions: masked secrets sent back, the log tail, headers, and hostile input."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from cacherr.settings import SECRET_FIELDS
from tests.web.conftest import SECRETS, World

NOTIFY = ["discord://webhookid1/notifyTOKENsecret777", "discord://webhookid2/otherTOKENsecret888"]


KEY = {"X-Api-Key": SECRETS["API_KEY"]}


def _settings(w: World) -> dict[str, dict[str, object]]:
    return {s["name"]: s for s in w.client.get("/api/v1/settings", headers=KEY).get_json()["settings"]}


def _patch(w: World, body: object) -> tuple[int, dict[str, object]]:
    r = w.client.patch("/api/v1/settings", json=body, headers={"X-CSRF-Token": w.csrf(), **KEY})
    return r.status_code, r.get_json()


def test_audit_every_masked_secret_sent_back_keeps_the_saved_value(world_factory: Callable[..., World]) -> None:
    """The settings read, changed and sent back whole (as a script does): no secret becomes its mask."""
    w = world_factory(saved={**SECRETS, "NOTIFY_URLS": NOTIFY, "WEB_PASSWORD": "pbkdf2:sha256:1$salt$00",
                                 "WEB_USERNAME": "owner"})
    w.client.environ_base["HTTP_X_API_KEY"] = SECRETS["API_KEY"]  # sign-in is on with a password
    before = json.loads(w.store.path.read_text())
    shown = {name: s["value"] for name, s in _settings(w).items() if name in SECRET_FIELDS}
    assert set(shown) == set(SECRET_FIELDS)
    status, body = _patch(w, shown)
    assert status == 200, body
    assert json.loads(w.store.path.read_text()) == before
    for name, value in shown.items():  # one at a time too
        assert _patch(w, {name: value})[0] == 200
    assert json.loads(w.store.path.read_text()) == before


def test_audit_masked_notify_urls_keep_saved_values_and_accept_a_new_one(world_factory: Callable[..., World]) -> None:
    """A masked list item used to drop the whole change silently (the new URL was lost)."""
    w = world_factory(saved={"NOTIFY_URLS": NOTIFY})
    masked = _settings(w)["NOTIFY_URLS"]["value"]
    assert masked == ["discord://****", "discord://****"]
    status, body = _patch(w, {"NOTIFY_URLS": [*masked, "ntfy://new-topic"]})
    assert status == 200 and body["saved"] == ["NOTIFY_URLS"], body
    assert json.loads(w.store.path.read_text())["NOTIFY_URLS"] == [*NOTIFY, "ntfy://new-topic"]
    # as a comma-separated string too
    status, _ = _patch(w, {"NOTIFY_URLS": "discord://****, discord://****"})
    assert status == 200 and json.loads(w.store.path.read_text())["NOTIFY_URLS"] == NOTIFY
    # a mask that matches no saved value is refused, never saved as a "URL"
    status, body = _patch(w, {"NOTIFY_URLS": ["json://****"]})
    assert status == 422 and "NOTIFY_URLS" in body["fields"]  # type: ignore[operator]
    assert json.loads(w.store.path.read_text())["NOTIFY_URLS"] == NOTIFY


def test_audit_log_tail_redacts_secrets_written_before_the_filter_knew_them(
        world_factory: Callable[..., World]) -> None:
    """The log's filter redacts the secrets of the moment; the tail redacts again with today's, including
    the form a library logs a notification URL in."""
    w = world_factory(saved={**SECRETS, "NOTIFY_URLS": NOTIFY})
    root = logging.getLogger()
    root.addHandler(w.ring)  # without the redacting filter: as for a line written before a secret was set
    try:
        log = logging.getLogger("cacherr.audit")
        log.warning("plex token %s", SECRETS["PLEX_TOKEN"])
        log.warning("POST https://discord.com/api/webhooks/webhookid1/notifyTOKENsecret777 failed")
        log.warning("trakt id %s, hook %s", SECRETS["TRAKT_CLIENT_ID"], SECRETS["WEBHOOK_SECRET"])
        text = w.client.get("/api/v1/logs?limit=2000", headers=KEY).get_data(as_text=True)
    finally:
        root.removeHandler(w.ring)
    assert "plex token ****" in text and "discord.com/api/webhooks/" in text
    for raw in [*SECRETS.values(), "notifyTOKENsecret777"]:
        assert raw not in text, raw


def test_audit_security_headers_and_csp_allow_no_inline_script(world: World) -> None:
    for path in ("/", "/login", "/api/v1/status", "/health", "/static/cacherr.js", "/no-such-page"):
        with world.client.get(path) as r:  # a static file is streamed: close it
            h = r.headers
        csp = h["Content-Security-Policy"]
        script = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert script.strip() == "script-src 'self'", csp
        assert "unsafe" not in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
    assert "no-store" in world.client.get("/api/v1/status").headers["Cache-Control"]


def test_audit_deeply_nested_or_huge_values_are_4xx_not_500(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"WEBHOOK_SECRET": SECRETS["WEBHOOK_SECRET"]})
    token = {"X-CSRF-Token": w.csrf()}
    deep = "[" * 100_000 + "]" * 100_000
    cases = {
        "cycles": w.client.post("/api/v1/cycles", data=deep, content_type="application/json", headers=token),
        "settings": w.client.patch("/api/v1/settings", data=deep, content_type="application/json", headers=token),
        "pin": w.client.post("/api/v1/media/1/pin", data=deep, content_type="application/json", headers=token),
        "mappings": w.client.patch("/api/v1/settings", json={"PATH_MAPPINGS": deep}, headers=token),
        "size": w.client.patch("/api/v1/settings", json={"CACHE_LIMIT": "9" * 500}, headers=token),
        "notify": w.client.patch("/api/v1/settings", json={"NOTIFY_URLS": deep}, headers=token),
        "webhook": w.client.post(f"/api/v1/webhook/plex?secret={SECRETS['WEBHOOK_SECRET']}",
                                 data={"payload": deep}),
        "oversized": w.client.post("/api/v1/cycles", data=b"{" + b" " * (11 * 1024 * 1024) + b"}",
                                   content_type="application/json", headers=token),
        "page": w.client.get("/api/v1/cycles?page=99999999999999999999999"),
        "html-page": w.client.get("/history?page=99999999999999999999999&per_page=-5"),
        "id": w.client.post("/api/v1/media/99999999999999999999999/restore", headers=token),
        "negative-id": w.client.post("/api/v1/media/-1/pin", json={}, headers=token),
        "utf8": w.client.post("/api/v1/cycles", data=b"\xff\xfe", content_type="application/json", headers=token),
    }
    for name, r in cases.items():
        expected_ok = name == "html-page"
        assert (r.status_code == 200) if expected_ok else (400 <= r.status_code < 500), (name, r.status_code)
    assert cases["size"].get_json()["fields"] == {"CACHE_LIMIT": "expected a size like 500GB or a percentage like 80%"}
    assert cases["oversized"].status_code == 413
    assert "CACHE_LIMIT" not in json.loads(w.store.path.read_text())  # nothing was saved
    assert w.cycle.calls == []
