"""plex.tv's sign-in PINs and account resources, as apps that "Sign in with Plex" call them (JSON).

``POST /api/v2/pins?strong=true`` makes a PIN (id, code, expiresAt), ``GET /api/v2/pins/{id}`` answers it
with ``authToken`` once the person approved it on app.plex.tv. The emulator approves every PIN for the
owner on its first poll (``world.pin_auto_approve``, on by default) so the demo and the tests can sign in;
``approve_pin(world, pin_id)`` does it by hand. ``GET /api/v2/resources`` lists the server with a LAN
connection that works and a remote one that refuses.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from cacherr.demo.plex_emulator.model import World
from cacherr.demo.plex_emulator.routing import Request, Response, Route, route

PIN_SECONDS = 600
_PREFIX = "/_plextv"


def _json(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json; charset=utf-8")


def _pins(world: World) -> dict[int, dict[str, Any]]:
    return vars(world).setdefault("pins", {})  # type: ignore[no-any-return]


def approve_pin(world: World, pin_id: int) -> None:
    """What the person does on app.plex.tv: the PIN now carries the owner's token."""
    with world.lock:
        _pins(world)[pin_id]["authToken"] = world.owner.token


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pin_out(pin: dict[str, Any]) -> dict[str, Any]:
    return {"id": pin["id"], "code": pin["code"], "product": pin["product"], "trusted": False,
            "clientIdentifier": pin["client"], "expiresIn": max(0, int(pin["expires"] - time.time())),
            "createdAt": _iso(pin["created"]), "expiresAt": _iso(pin["expires"]), "authToken": pin["authToken"]}


def create_pin(req: Request) -> Response:
    client = req.headers.get("x-plex-client-identifier") or req.query.get("X-Plex-Client-Identifier")
    if not client:
        return _json({"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing"}]}, 400)
    pins = _pins(req.world)
    now = time.time()
    pin_id = 1000 + len(pins) + 1
    code = secrets.token_hex(12) if req.query.get("strong") == "true" else secrets.token_hex(2).upper()
    pins[pin_id] = {"id": pin_id, "code": code, "client": client, "created": now, "expires": now + PIN_SECONDS,
                    "product": req.headers.get("x-plex-product", ""), "authToken": None}
    return _json(_pin_out(pins[pin_id]), 201)


def check_pin(req: Request) -> Response:
    pin = _pins(req.world).get(int(req.params["id"]))
    client = req.headers.get("x-plex-client-identifier") or req.query.get("X-Plex-Client-Identifier")
    if pin is None or pin["expires"] < time.time() or client != pin["client"]:
        return _json({"errors": [{"code": 1020, "message": "Code not found or expired"}]}, 404)
    if pin["authToken"] is None and getattr(req.world, "pin_auto_approve", True):
        pin["authToken"] = req.world.owner.token
    return _json(_pin_out(pin))


def resources(req: Request) -> Response:
    w = req.world
    assert req.user is not None
    host = req.headers.get("host", "127.0.0.1")
    address, _, port = host.partition(":")
    connections = [
        {"protocol": "http", "address": "127.0.0.1", "port": 9, "uri": "http://127.0.0.1:9", "local": False,
         "relay": False, "IPv6": False},
        {"protocol": "http", "address": address, "port": int(port or 80), "uri": f"http://{host}", "local": True,
         "relay": False, "IPv6": False},
    ]
    server = {"name": w.name, "product": "Plex Media Server", "productVersion": w.version, "platform": "Linux",
              "clientIdentifier": w.machine_id, "provides": "server", "owned": req.user.is_owner,
              "accessToken": req.user.token, "presence": True, "connections": connections}
    player = {"name": "Living room TV", "product": "Plex for Android (TV)", "clientIdentifier": "tv-0001",
              "provides": "player", "owned": True, "accessToken": None, "connections": []}
    return _json([server, player])


ROUTES: list[Route] = [
    route("POST", f"{_PREFIX}/api/v2/pins", "plex.tv/api/v2/pins", create_pin, auth="none"),
    route("GET", f"{_PREFIX}/api/v2/pins/{{id}}", "plex.tv/api/v2/pins/{id}", check_pin, auth="none"),
    route("GET", f"{_PREFIX}/api/v2/resources", "plex.tv/api/v2/resources", resources),
]
