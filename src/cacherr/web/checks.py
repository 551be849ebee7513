"""Health in words: the page listing every ``cacherr doctor`` check with its result and fix, and the
*arr-style endpoints (``/ping``, ``/api/v1/health``, ``/api/v1/system/status``).

The doctor's checks reach the web through ``WebServices.checks`` (wired by ``cacherr serve``); the web
adds its own (setup done, Plex reachable as last seen, database, scheduler) so the page is never empty.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime

from flask import Response, jsonify, render_template

from cacherr import __version__
from cacherr.web.api_common import api_routes, state
from cacherr.web.checks_schemas import CheckOut, ChecksOut, HealthItemOut, HealthListOut, SystemStatusOut
from cacherr.web.routes import Routes
from cacherr.web.setup import needs_setup

ROUTES = api_routes()
PAGE_ROUTES = Routes("checks")
STARTED = datetime.now().astimezone()
TTL = 30.0
WIKI = "https://github.com/cacherr/cacherr/blob/main/docs/operations.md"


def _web_checks() -> list[CheckOut]:
    services = state().services
    out = [CheckOut(name="Plex configured", ok=not needs_setup(),
                    detail="setup finished" if not needs_setup() else "needs setup: Plex is not configured yet",
                    fix="" if not needs_setup() else "open Setup (/setup) and sign in with Plex")]
    plex, _ = services.plex.last()
    if not needs_setup():
        out.append(CheckOut(name="Plex reachable (last seen)", ok=plex is not False,
                            detail={True: "answered", False: "did not answer", None: "not checked yet"}[plex],
                            fix="" if plex is not False else "check PLEX_URL and that Plex is running"))
    try:
        db = bool(services.db_ping())
    except Exception:  # noqa: BLE001  a database that raises is a failed check
        db = False
    out.append(CheckOut(name="database answers", ok=db, detail="ok" if db else "no answer",
                        fix="" if db else "check that CONFIG_DIR is writable and not full"))
    running = services.scheduler_running()
    if running is not None:
        out.append(CheckOut(name="scheduler running", ok=running, detail="running" if running else "stopped",
                            fix="" if running else "restart Cacherr; the log says why it stopped"))
    return out


def all_checks() -> list[CheckOut]:
    """The web's checks, then the doctor's (cached ``TTL`` seconds: they touch Plex and the disks)."""
    services = state().services
    hit = state().extra.get("checks")  # per app: (when, results)
    if hit is not None and time.monotonic() - hit[0] < TTL:
        return hit[1]  # type: ignore[no-any-return]
    found = _web_checks()
    if services.checks is not None and not needs_setup():
        try:
            found += [CheckOut.model_validate(c) for c in services.checks()]
        except Exception as exc:  # noqa: BLE001  a check that crashes is a failed check, not a 500
            found.append(CheckOut(name="cacherr doctor", ok=False, detail=f"the checks failed: {exc}",
                                  fix="run `cacherr doctor` in the container for details"))
    state().extra["checks"] = (time.monotonic(), found)
    return found


def _source(name: str) -> str:
    lowered = name.lower()
    for word, source in (("plex", "PlexCheck"), ("database", "DatabaseCheck"), ("scheduler", "SchedulerCheck"),
                         ("mover", "MoverCheck")):
        if word in lowered:
            return source
    return "PathCheck"


@PAGE_ROUTES.get("/checks")
def page() -> str:
    return render_template("checks.html", page="checks", checks=all_checks())


@PAGE_ROUTES.route("/ping", methods=["GET", "HEAD"])
def ping() -> Response:
    return jsonify({"status": "OK"})


@ROUTES.api("/checks", "GET", summary="Every check `cacherr doctor` makes, with its result and fix",
            tag="health", response=ChecksOut)
def checks_api() -> tuple[Response, int]:
    out = ChecksOut(needs_setup=needs_setup(), checks=all_checks())
    return Response(out.model_dump_json(), mimetype="application/json"), 200


@ROUTES.api("/health", "GET", summary="Problems only, as Sonarr/Radarr list them (empty: all good)",
            tag="health", response=HealthListOut)
def arr_health() -> tuple[Response, int]:
    items = [HealthItemOut(source=_source(c.name), type="error", message=f"{c.name}: {c.detail}"
                           + (f". Fix: {c.fix}" if c.fix else ""), wikiUrl=WIKI)
             for c in all_checks() if not c.ok]
    return Response(HealthListOut(items).model_dump_json(), mimetype="application/json"), 200


@ROUTES.api("/system/status", "GET", summary="Version, start time, config folder, OS and Python",
            tag="health", response=SystemStatusOut)
def system_status() -> tuple[Response, int]:
    out = SystemStatusOut(appName="Cacherr", version=__version__, startTime=STARTED.isoformat(timespec="seconds"),
                          appData=str(state().store.config_dir), osName=platform.system().lower(),
                          osVersion=platform.release(), runtimeName=sys.implementation.name,
                          runtimeVersion=platform.python_version(), isDocker=os.path.exists("/.dockerenv"),
                          needsSetup=needs_setup())
    return Response(out.model_dump_json(), mimetype="application/json"), 200
