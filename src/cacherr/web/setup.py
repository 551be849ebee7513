"""First contact: the setup page and its JSON calls (/setup, /setup/api/...: the dashboard's own, not /api/v1).

Sign in with Plex (PIN flow) or paste a token, pick the server and the address that works, choose the
libraries (proposed, checked path mappings), the users and what to cache for each, then a dry run in
test mode and one button to go live. Every value goes through the settings store, validated like at
start-up. The Plex token never leaves the server: answers say only whether one is set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WResponse

from cacherr.web.api_common import BadInput, plan_out, state
from cacherr.web.routes import Routes
from cacherr.web.setup_paths import Proposal, check, propose

ROUTES = Routes("setup")
STATE_FILE = "setup.json"
API = "/setup/api"


# --- is setup needed? ------------------------------------------------------------------------------
def _state_path() -> Path:
    return state().store.config_dir / STATE_FILE


def _progress() -> dict[str, Any]:
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _mark(**changes: Any) -> None:
    data = {**_progress(), **changes}
    tmp = _state_path().with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(_state_path())


def _token() -> str:
    return state().store.current.secret("PLEX_TOKEN")


def needs_setup() -> bool:
    """No Plex token yet, or a setup started here and not finished."""
    return not _token() or _progress().get("done") is False


def setup_available() -> bool:
    return state().services.plex_account is not None


def lead_to_setup() -> WResponse | None:
    """Dashboard pages send an unconfigured install to /setup (only where setup can run)."""
    if setup_available() and needs_setup():
        return redirect(url_for("setup.page"))
    return None


@ROUTES.after_request
def _no_store(response: WResponse) -> WResponse:
    if request.path.startswith(API):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _account() -> Any:
    factory = state().services.plex_account
    account = factory() if factory is not None else None
    if account is None:
        raise BadInput("setup is not available in this process", status=503)
    return account


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("expected a JSON object")
    return data


def _save(changes: dict[str, Any]) -> None:
    store = state().store
    state().store.save({k: v for k, v in changes.items() if k not in store.locked})


# --- pages ------------------------------------------------------------------------------------
@ROUTES.get("/setup")
def page() -> str:
    return render_template("setup.html", page="setup")


@ROUTES.get(API)
def status() -> Response:
    store = state().store
    s = store.current
    return jsonify({"needs_setup": needs_setup(), "available": setup_available(), "signed_in": bool(_token()),
                    "plex_url": s.PLEX_URL, "server_chosen": bool(_progress().get("server")),
                    "test_mode": s.TEST_MODE, "done": not needs_setup(),
                    "locked": sorted(n for n in ("PLEX_TOKEN", "PLEX_URL", "PATH_MAPPINGS", "SKIP_ONDECK_USERS",
                                                 "SKIP_WATCHLIST_USERS", "TEST_MODE") if n in store.locked),
                    "array_root": s.REAL_SOURCE, "cache_root": s.CACHE_DESTINATION})


# --- 1. sign in ----------------------------------------------------------------------------------
@ROUTES.post(f"{API}/pin")
def new_pin() -> Response:
    pin = _account().create_pin()
    _mark(done=False, pin=pin.id)
    return jsonify({"id": pin.id, "code": pin.code, "auth_url": pin.auth_url,
                    "expires_at": pin.expires_at.isoformat(timespec="seconds")})


@ROUTES.post(f"{API}/pin/check")
def check_pin() -> Response:
    pin_id = _progress().get("pin")
    if not isinstance(pin_id, int):
        raise BadInput("no sign-in in progress: start one first")
    token = _account().check_pin(pin_id)
    if token:
        _save({"PLEX_TOKEN": token})
        _mark(pin=None)
    return jsonify({"signed_in": bool(token)})


@ROUTES.post(f"{API}/token")
def paste_token() -> Response:
    token = str(_body().get("token", "")).strip()
    if not token:
        raise BadInput("paste the token first", fields={"token": "empty"}, status=422)
    _account().servers(token)  # plex.tv must accept it
    _mark(done=False)
    _save({"PLEX_TOKEN": token})
    return jsonify({"signed_in": True})


# --- 2. server -------------------------------------------------------------------------------
def _server_out(server: Any) -> dict[str, Any]:
    best = server.best
    return {"name": server.name, "machine_id": server.machine_id, "owned": server.owned,
            "best": best.uri if best else None,
            "connections": [{"uri": c.uri, "local": c.local, "relay": c.relay, "ok": c.ok, "ms": c.ms,
                             "problem": c.problem} for c in server.connections]}


@ROUTES.get(f"{API}/servers")
def servers() -> Response:
    return jsonify([_server_out(s) for s in _account().servers(_token())])


@ROUTES.post(f"{API}/server")
def choose_server() -> Response:
    uri = str(_body().get("uri", "")).rstrip("/")
    found = [c for s in _account().servers(_token()) for c in s.connections if c.uri.rstrip("/") == uri]
    if not found:
        raise BadInput("that address is not one of your Plex account's servers", fields={"uri": uri}, status=422)
    if not found[0].ok:
        raise BadInput(f"{uri} does not answer: {found[0].problem}", fields={"uri": found[0].problem}, status=422)
    # The address was checked against the account's own servers above, so the token may go with it (a new
    # PLEX_URL is saved only together with the token while sign-in is off: settings_checks).
    _save({"PLEX_URL": uri, "PLEX_TOKEN": _token()})
    _mark(server=uri)
    return jsonify({"plex_url": uri})


# --- 3. libraries ------------------------------------------------------------------------------
def _proposal_out(p: Proposal) -> dict[str, Any]:
    return {"name": p.name, "plex_path": p.plex_path, "real_path": p.real_path, "cache_path": p.cache_path,
            "sample_plex": p.sample_plex, "sample_real": p.sample_real, "ok": p.ok, "problems": list(p.problems)}


@ROUTES.get(f"{API}/libraries")
def libraries() -> Response:
    s = state().store.current
    array_root = request.args.get("array_root") or s.REAL_SOURCE
    cache_root = request.args.get("cache_root") or s.CACHE_DESTINATION
    out = []
    for lib in _account().libraries(s.PLEX_URL, _token()):
        proposals = [propose(_slug(lib.title, i, len(lib.locations)), loc, array_root, cache_root,
                             lib.sample_file if _under(lib.sample_file, loc) else None)
                     for i, loc in enumerate(lib.locations)]
        out.append({"key": lib.key, "title": lib.title, "kind": lib.kind, "locations": list(lib.locations),
                    "mappings": [_proposal_out(p) for p in proposals]})
    return jsonify({"array_root": array_root, "cache_root": cache_root, "libraries": out})


def _slug(title: str, i: int, n: int) -> str:
    base = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-") or "library"
    return base if n == 1 else f"{base}-{i + 1}"


def _under(file: str | None, folder: str) -> bool:
    return bool(file) and (str(file).replace("\\", "/") + "/").startswith(folder.replace("\\", "/").rstrip("/") + "/")


@ROUTES.post(f"{API}/libraries")
def save_libraries() -> Response:
    rows = _body().get("mappings")
    if not isinstance(rows, list) or not rows:
        raise BadInput("choose at least one library to cache", fields={"mappings": "none chosen"}, status=422)
    checked = [check(Proposal(str(r.get("name", "")), str(r.get("plex_path", "")), str(r.get("real_path", "")),
                              str(r.get("cache_path", "")), r.get("sample_plex") or None))
               for r in rows if isinstance(r, dict)]
    bad = {p.name: "; ".join(p.problems) for p in checked if not p.ok}
    if bad:
        raise BadInput("some path mappings do not work", details=list(bad.values()), fields=bad, status=422)
    _save({"PATH_MAPPINGS": [{"name": p.name, "plex_path": p.plex_path, "real_path": p.real_path,
                              "cache_path": p.cache_path} for p in checked]})
    _mark(libraries=[p.name for p in checked])
    return jsonify({"mappings": [_proposal_out(p) for p in checked]})


# --- 4. users --------------------------------------------------------------------------------
@ROUTES.get(f"{API}/users")
def users() -> Response:
    s = state().store.current
    skip_deck = {u.lower() for u in s.SKIP_ONDECK_USERS}
    skip_watch = {u.lower() for u in s.SKIP_WATCHLIST_USERS}
    return jsonify([{"name": u.name, "kind": u.kind, "on_deck": u.name.lower() not in skip_deck,
                     "watchlist": u.name.lower() not in skip_watch} for u in _account().users(_token())])


@ROUTES.post(f"{API}/users")
def save_users() -> Response:
    rows = [r for r in _body().get("users") or [] if isinstance(r, dict) and r.get("name")]
    _save({"SKIP_ONDECK_USERS": [str(r["name"]) for r in rows if not r.get("on_deck", True)],
           "SKIP_WATCHLIST_USERS": [str(r["name"]) for r in rows if not r.get("watchlist", True)]})
    _mark(users=True)
    return jsonify({"saved": len(rows)})


# --- 5. dry run, go live -----------------------------------------------------------------------
@ROUTES.post(f"{API}/dry-run")
def dry_run() -> Response:
    _save({"TEST_MODE": True})
    cycle = state().services.cycle
    if cycle is None:
        raise BadInput("the cycle service is not available", status=503)
    return jsonify({"test_mode": True, "plan": plan_out(cycle.preview()).model_dump(mode="json")})


@ROUTES.post(f"{API}/live")
def go_live() -> Response:
    _save({"TEST_MODE": False})
    _mark(done=True)
    return jsonify({"test_mode": state().store.current.TEST_MODE, "done": True})
