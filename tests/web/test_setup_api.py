"""Setup over the JSON API: an empty CONFIG_DIR, the real container, the Plex emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from cacherr.adapters.client_id import load_or_create_client_id
from cacherr.web.app import create_app
from tests.web.setup_stack import EmptyInstall, empty_install


@pytest.fixture
def install(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[EmptyInstall]:
    inst = empty_install(tmp_path)
    yield inst
    inst.close()


@pytest.fixture
def client(install: EmptyInstall) -> FlaskClient:
    app = create_app(install.container)
    app.config["TESTING"] = True
    return app.test_client()


def _csrf(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRF-Token": str(client.get("/api/v1/session").get_json()["csrf_token"])}


def sign_in(client: FlaskClient) -> dict[str, str]:
    h = _csrf(client)
    pin = client.post("/setup/api/pin", headers=h).get_json()
    assert "app.plex.tv/auth#?clientID=cacherr-" in pin["auth_url"] and "context%5Bdevice%5D%5Bproduct%5D=Cacherr" in pin["auth_url"]
    assert client.post("/setup/api/pin/check", headers=h).get_json() == {"signed_in": True}
    return h


def test_every_page_leads_to_setup_when_plex_is_not_configured(client: FlaskClient) -> None:
    for path in ("/", "/media", "/settings", "/history"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/setup"), path
    assert client.get("/setup/api").get_json()["needs_setup"] is True
    assert client.get("/health").status_code == 200  # liveness for Docker stays


def test_sign_in_with_plex_stores_the_token_and_never_answers_it(client: FlaskClient,
                                                                 install: EmptyInstall) -> None:
    h = _csrf(client)
    r = client.post("/setup/api/pin", headers=h)
    assert r.status_code == 200
    out = client.post("/setup/api/pin/check", headers=h)
    assert out.get_json() == {"signed_in": True}
    assert install.container.store.current.secret("PLEX_TOKEN") == install.plex.world.owner.token
    assert install.plex.world.owner.token not in out.get_data(as_text=True)
    # the client identifier is made once per install and kept
    assert load_or_create_client_id(install.config_dir) == load_or_create_client_id(install.config_dir)


def test_a_pin_not_yet_approved_keeps_waiting(client: FlaskClient, install: EmptyInstall) -> None:
    install.plex.world.pin_auto_approve = False  # type: ignore[attr-defined]
    h = _csrf(client)
    client.post("/setup/api/pin", headers=h)
    assert client.post("/setup/api/pin/check", headers=h).get_json() == {"signed_in": False}
    assert not install.container.store.current.secret("PLEX_TOKEN")


def test_a_pasted_token_that_plex_refuses_is_not_saved(client: FlaskClient, install: EmptyInstall) -> None:
    r = client.post("/setup/api/token", json={"token": "not-a-real-token-123"}, headers=_csrf(client))
    assert r.status_code == 503 and "refused" in r.get_json()["error"]
    assert not install.container.store.current.secret("PLEX_TOKEN")


def test_servers_are_tested_and_the_lan_address_that_works_is_preferred(client: FlaskClient,
                                                                        install: EmptyInstall) -> None:
    h = sign_in(client)
    servers = client.get("/setup/api/servers").get_json()
    assert len(servers) == 1
    conns = {c["uri"]: c for c in servers[0]["connections"]}
    assert conns[install.plex.url]["ok"] and conns[install.plex.url]["local"]
    assert not conns["http://127.0.0.1:9"]["ok"] and conns["http://127.0.0.1:9"]["problem"]
    assert servers[0]["best"] == install.plex.url
    bad = client.post("/setup/api/server", json={"uri": "http://evil.example:32400"}, headers=h)
    assert bad.status_code == 422  # the token goes only to a server of the account
    assert client.post("/setup/api/server", json={"uri": install.plex.url}, headers=h).status_code == 200
    assert install.plex.url == install.container.store.current.PLEX_URL


def test_libraries_propose_mappings_checked_with_a_sample_file(client: FlaskClient, install: EmptyInstall) -> None:
    h = sign_in(client)
    client.post("/setup/api/server", json={"uri": install.plex.url}, headers=h)
    lab = install.lab
    q = {"array_root": str(lab.array_root), "cache_root": str(lab.cache_root)}
    libs = client.get("/setup/api/libraries", query_string=q).get_json()["libraries"]
    by_title = {lib["title"]: lib["mappings"][0] for lib in libs}
    movies = by_title["Movies"]
    assert movies["plex_path"] == "/data/movies" and movies["real_path"] == f"{lab.array_root}/movies"
    assert movies["ok"], movies["problems"]
    assert movies["sample_real"].startswith(f"{lab.array_root}/movies/")
    # the union view is refused, with the reason
    union = dict(movies, real_path="/mnt/user/media/movies")
    r = client.post("/setup/api/libraries", json={"mappings": [union]}, headers=h)
    assert r.status_code == 422 and "union view" in r.get_json()["fields"]["movies"]
    # a wrong folder: the sample file is not found there
    wrong = dict(movies, real_path=str(lab.cache_root))
    r = client.post("/setup/api/libraries", json={"mappings": [wrong]}, headers=h)
    assert r.status_code == 422
    r = client.post("/setup/api/libraries", json={"mappings": list(by_title.values())}, headers=h)
    assert r.status_code == 200, r.get_json()
    assert {m.name for m in install.container.store.current.path_mappings()} == {"movies", "tv-shows"}


def test_users_switches_become_the_skip_lists_and_the_dry_run_then_go_live(client: FlaskClient,
                                                                           install: EmptyInstall) -> None:
    h = sign_in(client)
    client.post("/setup/api/server", json={"uri": install.plex.url}, headers=h)
    q = {"array_root": str(install.lab.array_root), "cache_root": str(install.lab.cache_root)}
    libs = client.get("/setup/api/libraries", query_string=q).get_json()["libraries"]
    client.post("/setup/api/libraries", json={"mappings": [lib["mappings"][0] for lib in libs]}, headers=h)
    users = client.get("/setup/api/users").get_json()
    names = [u["name"] for u in users]
    assert users[0]["kind"] == "owner" and len(names) > 1
    rows = [{"name": n, "on_deck": True, "watchlist": n != names[1]} for n in names]
    assert client.post("/setup/api/users", json={"users": rows}, headers=h).status_code == 200
    settings = install.container.store.current
    assert [names[1]] == settings.SKIP_WATCHLIST_USERS and settings.SKIP_ONDECK_USERS == []
    assert client.get("/").status_code == 302  # not finished yet
    dry = client.post("/setup/api/dry-run", headers=h)
    assert dry.status_code == 200, dry.get_json()
    assert install.container.store.current.TEST_MODE is True
    assert dry.get_json()["plan"]["actions"], "the demo household has media to cache"
    assert not any(install.lab.cache_root.rglob("*.mkv"))  # a dry run touches nothing
    live = client.post("/setup/api/live", headers=h).get_json()
    assert live == {"test_mode": False, "done": True}
    assert client.get("/").status_code == 200
    assert client.get("/setup/api").get_json()["needs_setup"] is False
