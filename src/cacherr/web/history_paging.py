"""Paging of the history page (the page itself in ``dashboard``, its fragments in ``dashboard_history``)."""

from __future__ import annotations

from flask import request

CYCLES_PER_PAGE = 25
OPS_PER_PAGE = 50
MAX_ID = 2**62


def int_arg(name: str) -> int | None:
    """A positive id from the query string; None when absent or not one."""
    raw = request.args.get(name, "")
    if not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value < MAX_ID else None
