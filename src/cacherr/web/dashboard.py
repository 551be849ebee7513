"""Server-rendered dashboard pages. Live parts (status, progress, log tail) poll the JSON API."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import g, render_template, request, url_for
from pydantic import ValidationError

from cacherr import __version__
from cacherr.domain.units import human_bytes_signed
from cacherr.services.queries import MediaFilter
from cacherr.settings import serialise
from cacherr.settings_labels import ordered_names
from cacherr.web.api_common import plan_out, state
from cacherr.web.api_settings import settings_out
from cacherr.web.auth import auth_enabled, csrf_token, login_kind
from cacherr.web.clock import offset_minutes, time_tag
from cacherr.web.media_labels import entry_why
from cacherr.web.routes import Routes
from cacherr.web.schemas import MediaQuery
from cacherr.web.setup import lead_to_setup, needs_setup

ROUTES = Routes("dashboard")
PAGES = (("dashboard.overview", "Overview"), ("dashboard.media", "Cached media"), ("dashboard.plan", "Plan"),
         ("dashboard.history", "History"), ("checks.page", "Health"), ("dashboard.settings", "Settings"),
         ("dashboard.logs", "Logs"))


@ROUTES.before_request
def _setup_first() -> Any:
    return lead_to_setup()


@ROUTES.app_context_processor
def common() -> dict[str, Any]:
    settings = state().store.current
    return {"csrf_token": csrf_token(), "auth_on": auth_enabled(settings), "login_kind": login_kind(settings),
            "user": g.get("user"), "version": __version__, "nav_pages": PAGES, "test_mode": settings.TEST_MODE,
            "human": human_bytes_signed, "json_text": json_text, "needs_setup": needs_setup(),
            "tz": settings.TZ, "tz_offset": offset_minutes(settings.TZ),
            "clock": lambda iso: time_tag(iso, settings.TZ)}


def json_text(value: Any) -> str:
    """JSON as plain text for a template: autoescaped like any text, so it is safe in an attribute too
    (Jinja's ``tojson`` is marked safe and keeps ``"``: it breaks out of ``attr="..."``)."""
    return json.dumps(value, ensure_ascii=False)


def _args(model: Any) -> Any:
    try:
        return model.model_validate({k: v for k, v in request.args.items() if k in model.model_fields})
    except ValidationError:
        return model()


@ROUTES.get("/")
def overview() -> str:
    st = state()
    usage = st.services.queries.cache_usage(st.store.current)
    return render_template("overview.html", page="overview", usage=usage)


@ROUTES.get("/media")
def media() -> str:
    args = _args(MediaQuery)
    q = state().services.queries
    page = q.media_page(MediaFilter(args.user, args.reason, args.library, args.q, args.pinned),
                        args.page, args.per_page)
    pages = max(1, -(-page.total // page.per_page))
    keep = {k: v for k, v in request.args.items() if k in MediaQuery.model_fields and k != "page"}

    def page_url(p: int) -> str:
        return url_for("dashboard.media", page=p, **keep)  # type: ignore[arg-type]

    days = state().store.current.FRESH_DOWNLOAD_DAYS
    cycle = state().services.cycle
    return render_template("media.html", page="media", result=page, pages=pages, args=args, facets=q.facets(),
                           page_url=page_url, why=lambda e: entry_why(e, days),
                           exclusions=cycle.exclusions() if cycle is not None else [])


@ROUTES.get("/plan")
def plan() -> str:
    cycle = state().services.cycle
    last = cycle.last_plan() if cycle is not None else None
    return render_template("plan.html", page="plan", plan=plan_out(last) if last else None,
                           available=cycle is not None)


@ROUTES.get("/history")
def history() -> str:
    """Cycles newest first (``?cycle=ID`` starts at that cycle, opened; ``?before=ID`` pages by keyset),
    and the file operations; the page fetches more, and live updates, from ``dashboard_history``."""
    from cacherr.web.history_paging import CYCLES_PER_PAGE, OPS_PER_PAGE, int_arg

    q = state().services.queries
    opened, before = int_arg("cycle"), int_arg("before")
    if opened is not None and before is None:
        before = opened + 1
    cycles, more = q.cycles_before(before, CYCLES_PER_PAGE)
    ops, ops_more = q.operations_before(None, OPS_PER_PAGE)
    return render_template("history.html", page="history", cycles=cycles, ops=ops, opened=opened,
                           total=q.cycles_page(1, 1).total, cycles_next=cycles[-1].id if more else None,
                           ops_next=ops[-1].id if ops_more else None)


@ROUTES.get("/settings")
def settings() -> str:
    out = settings_out()
    by_name = {s.name: s for s in out.settings}
    sections: dict[str, list[Any]] = {name: [] for name in out.sections}
    for name in ordered_names():
        sections.setdefault(by_name[name].section, []).append(by_name[name])
    sections = {k: v for k, v in sections.items() if v}
    slugs = {k: re.sub(r"[^a-z0-9]+", "-", k.lower()).strip("-") for k in sections}
    rules = serialise(state().store.current, "LIBRARY_RULES")
    return render_template("settings.html", page="settings", sections=sections, slugs=slugs, library_rules=rules)


@ROUTES.get("/logs")
def logs() -> str:
    return render_template("logs.html", page="logs")
