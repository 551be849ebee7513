"""Settings over the API: sources, env locks, masked secrets, per-field errors, atomic save, live apply;
the Plex webhook; and no secret ever leaving the server in full."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.web.conftest import SECRETS, World, wait_for


def by_name(w: World) -> dict[str, dict]:  # type: ignore[type-arg]
    return {s["name"]: s for s in w.client.get("/api/v1/settings").get_json()["settings"]}


def test_settings_show_source_lock_group_and_mask(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"PLEX_TOKEN": SECRETS["PLEX_TOKEN"], "TZ": "Europe/Paris"},
                      saved={"NUMBER_EPISODES": 3})
    s = by_name(w)
    assert s["TZ"]["source"] == "env" and s["TZ"]["locked"] is True
    assert s["NUMBER_EPISODES"]["source"] == "file" and s["NUMBER_EPISODES"]["value"] == 3
    assert s["DAYS_TO_MONITOR"]["source"] == "default" and s["DAYS_TO_MONITOR"]["locked"] is False
    token = s["PLEX_TOKEN"]
    assert token["secret"] and token["is_set"] and token["value"].startswith("****")
    assert SECRETS["PLEX_TOKEN"] not in json.dumps(token)
    assert s["WEB_PORT"]["group"] == "Web" and s["WEB_PORT"]["restart"] is True
    assert s["VERIFY"]["kind"] == "choice" and s["VERIFY"]["choices"] == ["size", "hash"]
    assert s["TEST_MODE"]["kind"] == "bool"


def test_patch_saves_atomically_and_applies_at_once(world: World) -> None:
    r = world.client.patch("/api/v1/settings", json={"NUMBER_EPISODES": "7", "TEST_MODE": True},
                           headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["saved"] == ["NUMBER_EPISODES", "TEST_MODE"]
    assert world.store.current.NUMBER_EPISODES == 7 and world.store.current.TEST_MODE is True
    saved = json.loads((world.store.path).read_text())
    assert saved["NUMBER_EPISODES"] == 7
    assert world.client.get("/api/v1/status").get_json()["test_mode"] is True
    assert b"Test mode is on" in world.client.get("/").data


def test_invalid_values_get_an_error_per_field_and_nothing_is_saved(world: World) -> None:
    before = world.store.path.read_text()
    r = world.client.patch("/api/v1/settings", json={"CACHE_LIMIT": "lots", "NUMBER_EPISODES": 500,
                                                     "DAYS_TO_MONITOR": 5},
                           headers={"X-CSRF-Token": world.csrf()})
    body = r.get_json()
    assert r.status_code == 422
    assert "500GB" in body["fields"]["CACHE_LIMIT"]
    assert "100" in body["fields"]["NUMBER_EPISODES"]
    assert "DAYS_TO_MONITOR" not in body["fields"]
    assert world.store.path.read_text() == before and world.store.current.DAYS_TO_MONITOR == 99


def test_locked_and_unknown_settings_are_refused(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"TZ": "Europe/Paris"})
    r = w.client.patch("/api/v1/settings", json={"TZ": "Etc/UTC", "NOPE": 1}, headers={"X-CSRF-Token": w.csrf()})
    body = r.get_json()
    assert r.status_code == 422
    assert "environment variable" in body["fields"]["TZ"] and body["fields"]["NOPE"] == "unknown setting"


def test_masked_secret_sent_back_is_kept_and_password_is_hashed(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PLEX_TOKEN": SECRETS["PLEX_TOKEN"]})
    masked = by_name(w)["PLEX_TOKEN"]["value"]
    r = w.client.patch("/api/v1/settings", json={"PLEX_TOKEN": masked, "WEB_PASSWORD": "hunter2-hunter2",
                                                         "WEB_USERNAME": "owner"},
                       headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200
    saved = json.loads(w.store.path.read_text())
    assert saved["PLEX_TOKEN"] == SECRETS["PLEX_TOKEN"]
    assert saved["WEB_PASSWORD"].startswith(("scrypt:", "pbkdf2:")) and "hunter2" not in saved["WEB_PASSWORD"]


def test_webhook_checks_its_secret_and_hands_the_payload_to_the_scheduler(
        world_factory: Callable[..., World]) -> None:
    off = world_factory()
    assert off.client.post("/api/v1/webhook/plex?secret=x", data={"payload": "{}"}).status_code == 403
    w = world_factory(saved={"WEBHOOK_SECRET": SECRETS["WEBHOOK_SECRET"], "API_KEY": SECRETS["API_KEY"]})
    event = {"event": "media.play", "Account": {"title": "carol"}, "Metadata": {"ratingKey": "101"}}
    assert w.client.post("/api/v1/webhook/plex?secret=wrong",
                         data={"payload": json.dumps(event)}).status_code == 403
    assert w.client.post("/api/v1/webhook/plex", data={"payload": json.dumps(event)}).status_code == 403
    bad = w.client.post(f"/api/v1/webhook/plex?secret={SECRETS['WEBHOOK_SECRET']}", data={"payload": "{nope"})
    assert bad.status_code == 400
    r = w.client.post(f"/api/v1/webhook/plex?secret={SECRETS['WEBHOOK_SECRET']}",
                      data={"payload": json.dumps(event)}, content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["event"] == "media.play"
    assert r.get_json()["message"] == "cache-next: next episodes for carol"  # the handler's answer, relayed
    assert wait_for(w.scheduler.received.is_set)
    assert w.scheduler.webhooks == [event]


def test_no_secret_ever_leaves_the_server_in_full(world_factory: Callable[..., World]) -> None:
    saved = {**SECRETS, "NOTIFY_URLS": "discord://webhookid/notifyTOKENsecret777",
             "WEB_USERNAME": "admin", "WEB_PASSWORD": "passwordSECRET-0000"}
    w = world_factory(saved=saved)
    headers = {"X-Api-Key": SECRETS["API_KEY"]}
    w.add_entry("Movie")
    w.cycle.run("test")
    bodies = []
    with redacted_ring(w):
        logging.getLogger("cacherr.test").warning("token is %s", SECRETS["PLEX_TOKEN"])
        tail = w.client.get("/api/v1/logs", headers=headers).get_data(as_text=True)
    assert "token is ****" in tail
    bodies.append(tail)
    for path in ("/api/v1/settings", "/api/v1/status", "/api/v1/media", "/api/v1/cycles", "/api/v1/logs",
                 "/api/v1/plan", "/api/v1/openapi.json", "/api/v1/session", "/health"):
        r = w.client.get(path, headers=headers)
        assert r.status_code == 200, path
        bodies.append(r.get_data(as_text=True))
    login = w.client.post("/login", data={"username": "admin", "password": "passwordSECRET-0000",
                                          "csrf_token": w.csrf()})
    assert login.status_code == 302
    for path in ("/", "/media", "/plan", "/history", "/settings", "/logs"):
        bodies.append(w.client.get(path).get_data(as_text=True))
    bodies.append(w.client.patch("/api/v1/settings", json={"PLEX_TOKEN": "bad token!"},
                                 headers=headers).get_data(as_text=True))
    text = "\n".join(bodies)
    for raw in [*SECRETS.values(), "notifyTOKENsecret777", "passwordSECRET-0000", "bad token!"]:
        assert raw not in text, raw


@contextmanager
def redacted_ring(w: World) -> Iterator[None]:
    """The app's ring buffer with a redacting filter, as ``build_container`` sets it up."""
    from cacherr.logs import RedactSecrets

    redactor = RedactSecrets()
    redactor.set_secrets(SECRETS.values())
    w.ring.addFilter(redactor)
    root = logging.getLogger()
    root.addHandler(w.ring)
    try:
        yield
    finally:
        root.removeHandler(w.ring)
        w.ring.removeFilter(redactor)


def test_sizes_read_as_people_write_them_and_round_trip(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"CACHE_LIMIT": "2GB", "MIN_FREE_SPACE": "10%"})
    s = by_name(w)
    assert (s["CACHE_LIMIT"]["value"], s["MIN_FREE_SPACE"]["value"]) == ("2GB", "10%")
    r = w.client.patch("/api/v1/settings", json={"CACHE_LIMIT": s["CACHE_LIMIT"]["value"]},
                       headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200 and r.get_json()["saved"] == []
    assert w.store.current.CACHE_LIMIT.bytes == 2 * 1024**3


def test_library_rules_are_shown_as_json_and_saved_from_the_web(world: World) -> None:
    rules = {"Movies": {"watchlist": False, "retention_hours": 48}, "Anime": {"episodes": 12}}
    r = world.client.patch("/api/v1/settings", json={"LIBRARY_RULES": json.dumps(rules)},
                           headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 200, r.get_json()
    assert world.store.current.library_rules()["Anime"].episodes == 12
    row = by_name(world)["LIBRARY_RULES"]
    assert row["kind"] == "json" and row["value"]["Movies"]["retention_hours"] == 48
    bad = world.client.patch("/api/v1/settings", json={"LIBRARY_RULES": '{"Movies": {"episodez": 3}}'},
                             headers={"X-CSRF-Token": world.csrf()})
    assert bad.status_code == 422 and "episodez" in bad.get_json()["fields"]["LIBRARY_RULES"]
    assert world.store.current.library_rules()["Anime"].episodes == 12  # nothing saved


def test_settings_carry_label_and_section(world: World) -> None:
    body = world.client.get("/api/v1/settings").get_json()
    from cacherr.settings_labels import SECTIONS

    assert body["sections"] == list(SECTIONS)
    s = {x["name"]: x for x in body["settings"]}
    assert s["NUMBER_EPISODES"]["label"] == "Episodes ahead" and s["NUMBER_EPISODES"]["section"] == "Caching"
    assert s["SESSION_POLL_SECONDS"]["section"] == "Real time"
    assert all(x["label"] and x["section"] in SECTIONS for x in body["settings"])


def test_bug_field_error_of_a_json_setting_shows_no_fragment_of_its_value(world: World) -> None:
    """The field message of a LIBRARY_RULES error was cut at the first ": " inside the value's text."""
    r = world.client.patch("/api/v1/settings", json={"LIBRARY_RULES": {"TV Shows": {"episodes": 500}}},
                           headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 422
    assert r.get_json()["fields"]["LIBRARY_RULES"] == "TV Shows.episodes: must be 100 or less"
    assert world.store.current.LIBRARY_RULES == {}


def test_bug_settings_page_with_library_rules_set_renders(world: World) -> None:
    rules = {"Movies": {"watchlist": False}, "TV Shows": {"episodes": 7, "retention_hours": 48}}
    r = world.client.patch("/api/v1/settings", json={"LIBRARY_RULES": rules}, headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 200, r.get_json()
    assert world.store.current.library_rules()["TV Shows"].episodes == 7
    html = world.client.get("/settings").get_data(as_text=True)  # a page with rules set renders
    assert 'id="library-rules"' in html and "retention_hours" in html


def test_libraries_without_plex_list_the_saved_rules(world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"LIBRARY_RULES": {"Anime": {"episodes": 12}}, "NUMBER_EPISODES": 4})
    body = w.client.get("/api/v1/settings/libraries").get_json()
    assert body["error"]  # no Plex account service in this world: said, not a 500
    assert body["libraries"] == [{"title": "Anime", "kind": "", "on_server": False,
                                  "rule": {"enabled": True, "episodes": 12, "watchlist": True,
                                           "retention_hours": None, "minutes": None, "version": None,
                                           "skip_4k": False}}]
    assert body["defaults"]["episodes"] == 4 and body["locked"] is False


def test_libraries_are_locked_when_the_environment_sets_the_rules(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"LIBRARY_RULES": '{"Movies": {"enabled": false}}'})
    body = w.client.get("/api/v1/settings/libraries").get_json()
    assert body["locked"] is True and body["libraries"][0]["rule"]["enabled"] is False
    html = w.client.get("/settings").get_data(as_text=True)
    assert 'data-locked="true"' in html


def test_settings_page_says_why_a_field_is_locked(world_factory: Callable[..., World]) -> None:
    w = world_factory(env={"TZ": "Europe/Paris"})
    html = w.client.get("/settings").get_data(as_text=True)
    tz = html[html.index('data-name="TZ"'):]
    tz = tz[:tz.index('id="err-TZ"')]
    assert "disabled" in tz and "Set by the environment variable <code>TZ</code>" in tz
    trakt = html[html.index('data-name="TRAKT_URL"'):]
    trakt = trakt[:trakt.index('id="err-TRAKT_URL"')]  # environment-only although not set: a safety rule
    assert "disabled" in trakt and "Only the environment variable <code>TRAKT_URL</code> can set this" in trakt
    days = html[html.index('data-name="DAYS_TO_MONITOR"'):]
    days = days[:days.index('id="err-DAYS_TO_MONITOR"')]
    assert "disabled" not in days and "lock-note" not in days


def test_bad_values_are_answered_in_plain_words_not_the_validators_text(world: World) -> None:
    """Issue 14 item 2: a 422 names the field and says what is accepted ("Input should be a valid integer" was
    pydantic's own text)."""
    r = world.client.patch("/api/v1/settings", json={"NUMBER_EPISODES": "five", "SESSION_POLL_SECONDS": 99999,
                                                     "TEST_MODE": "perhaps"},
                           headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 422
    fields = r.get_json()["fields"]
    assert fields["NUMBER_EPISODES"] == "must be a whole number, such as 5"
    assert fields["SESSION_POLL_SECONDS"] == "must be 3600 or less"
    assert fields["TEST_MODE"].startswith("must be true or false")
    assert not any("Input should" in m for m in fields.values())
