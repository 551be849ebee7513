"""The JSON API for restore exclusions ("keep off the cache"), the cache hit rate and one cycle in detail."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import NotFound

from cacherr.web.api import _cycle, _describe, _entry_checked, ok
from cacherr.web.api_common import api_routes, as_int_id, job_out, parse_body, parse_query, state
from cacherr.web.schemas import AcceptedOut, CycleOut, OperationOut
from cacherr.web.schemas_more import (
    CycleDetailOut,
    ExclusionOut,
    ExclusionsOut,
    HitRateOut,
    HitRateQuery,
    LetBackInOut,
    RestoreIn,
    UserHitsOut,
)

ROUTES = api_routes()


@ROUTES.api("/media/<int:entry_id>/restore", "POST", summary="Give one cached item back to the array "
            "(in the background); keep_off: and keep it off the cache", tag="media", response=AcceptedOut,
            status=202, body=RestoreIn, errors=(409, 503))
def restore_item(entry_id: int) -> tuple[Response, int]:
    entry = _entry_checked(entry_id)
    body = parse_body(RestoreIn, allow_empty=True)
    cycle = _cycle()
    job = state().jobs.submit("restore", lambda: cycle.restore_item(entry.id, keep_off=body.keep_off), _describe)
    return ok(AcceptedOut(accepted=True, job=job_out(job)), 202)


@ROUTES.api("/exclusions", "GET", summary="Items kept off the cache (restored with keep_off)", tag="media",
            response=ExclusionsOut, errors=(503,))
def exclusions() -> tuple[Response, int]:
    items = [ExclusionOut.model_validate(x) for x in _cycle().exclusions()]
    return ok(ExclusionsOut(items=items))


@ROUTES.api("/exclusions/<int:exclusion_id>", "DELETE", summary="Let an item back in: the next cycle may "
            "cache it again", tag="media", response=LetBackInOut, errors=(503,))
def let_back_in(exclusion_id: int) -> tuple[Response, int]:
    gone = _cycle().let_back_in(as_int_id(exclusion_id))
    if gone is None:
        raise NotFound(f"no excluded item with id {exclusion_id}")
    return ok(LetBackInOut(ok=True, message=f"{gone.title or gone.array_path} may be cached again"))


@ROUTES.api("/stats/hit-rate", "GET", summary="Cache hit rate: of the plays started in the last days, how "
            "many were served from the cache, per user", tag="history", response=HitRateOut, query=HitRateQuery,
            errors=(503,))
def hit_rate() -> tuple[Response, int]:
    args = parse_query(HitRateQuery)
    rate = _cycle().hit_rate(args.days)
    users = [UserHitsOut(user=u.user, plays=u.plays, from_cache=u.from_cache, percent=round(u.percent, 1))
             for u in rate.users]
    return ok(HitRateOut(since=rate.since, days=rate.days, plays=rate.plays, from_cache=rate.from_cache,
                         percent=round(rate.percent, 1), users=users))


@ROUTES.api("/cycles/<int:cycle_id>", "GET", summary="One cycle with its items and reasons, and its file "
            "operations", tag="history", response=CycleDetailOut)
def cycle_detail(cycle_id: int) -> tuple[Response, int]:
    q = state().services.queries
    row = q.cycle(as_int_id(cycle_id))
    if row is None:
        raise NotFound(f"no cycle with id {cycle_id}")
    ops, _ = q.operations_before(None, 200, cycle_id=row.id)
    return ok(CycleDetailOut(cycle=CycleOut.model_validate(row), operations=[OperationOut.model_validate(o)
                                                                               for o in ops]))
