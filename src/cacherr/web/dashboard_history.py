"""HTML fragments of the history page: older cycles and file operations ("More"), and the newest ones for the
page's live updates. Rendered by the same macros as the page (templates/_history.html)."""

from __future__ import annotations

from flask import Response, render_template

from cacherr.web.api_common import state
from cacherr.web.history_paging import CYCLES_PER_PAGE, OPS_PER_PAGE, int_arg
from cacherr.web.routes import Routes

ROUTES = Routes("dashboard")


def _fragment(html: str, next_before: int | None) -> Response:
    out = Response(html, mimetype="text/html")
    out.headers["X-Next-Before"] = str(next_before or "")
    out.headers["Cache-Control"] = "no-store"
    return out


@ROUTES.get("/history/cycles")
def history_cycles() -> Response:
    """``?before=ID``: the next older cycles; ``?since=ID``: the cycles from that id on (live updates)."""
    q = state().services.queries
    since = int_arg("since")
    if since is not None:
        rows, _ = q.cycles_before(None, 100)
        rows = [c for c in rows if c.id >= since]
        return _fragment(render_template("_history_cycles.html", cycles=rows), None)
    rows, more = q.cycles_before(int_arg("before"), CYCLES_PER_PAGE)
    return _fragment(render_template("_history_cycles.html", cycles=rows), rows[-1].id if more and rows else None)


@ROUTES.get("/history/operations")
def history_operations() -> Response:
    q = state().services.queries
    since = int_arg("since")
    if since is not None:
        rows, _ = q.operations_before(None, 200)
        rows = [o for o in rows if o.id >= since]
        return _fragment(render_template("_history_ops.html", ops=rows), None)
    rows, more = q.operations_before(int_arg("before"), OPS_PER_PAGE)
    return _fragment(render_template("_history_ops.html", ops=rows), rows[-1].id if more and rows else None)
