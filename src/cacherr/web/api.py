"""The JSON API (/api/v1): status, cached media, plan, cycles, history, usage, logs.

Settings, notifications and the Plex webhook are in ``api_settings``. Every view calls services only.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from werkzeug.exceptions import NotFound, ServiceUnavailable

from cacherr import __version__
from cacherr.domain.errors import UnsafePath
from cacherr.domain.report import CycleReport, Trigger
from cacherr.redaction import redact, secret_terms
from cacherr.services.queries import MediaFilter
from cacherr.web.api_common import (
    BadInput,
    api_routes,
    as_int_id,
    job_out,
    op_out,
    parse_body,
    parse_query,
    plan_out,
    state,
)
from cacherr.web.auth import auth_enabled, csrf_token
from cacherr.web.routes import Routes
from cacherr.web.schemas import (
    AcceptedOut,
    CacheUsageOut,
    CycleOut,
    CyclesPageOut,
    EntryActionOut,
    EntryOut,
    HealthOut,
    HistoryQuery,
    LastPlanOut,
    LogLineOut,
    LogQuery,
    LogsOut,
    MediaPageOut,
    MediaQuery,
    OperationOut,
    OperationsPageOut,
    PinIn,
    PlanOut,
    RunCycleIn,
    SessionOut,
    StatusOut,
    UsageOut,
    UsageSampleOut,
)
from cacherr.web.services import CycleRunner
from cacherr.web.setup import needs_setup
from cacherr.web.status_cache import BusyProbe, Coalesced

STATUS_TTL = 0.5
ROUTES = api_routes()
HEALTH = Routes("health")  # /health at the root, for Docker's HEALTHCHECK


def ok(model: Any, status: int = 200) -> tuple[Response, int]:
    return Response(model.model_dump_json(), mimetype="application/json"), status


def _cycle() -> CycleRunner:
    cycle = state().services.cycle
    if cycle is None:
        raise ServiceUnavailable("the cache cycle service is not available in this build")
    return cycle


@HEALTH.api("/health", "GET", summary="Liveness and readiness (for Docker's HEALTHCHECK)",
            tag="health", response=HealthOut, public=True,
            also=((503, HealthOut, "Not ready: the database cannot be reached"),))
def health() -> tuple[Response, int]:
    services = state().services
    try:
        database = bool(services.db_ping())
    except Exception:  # noqa: BLE001  a database that raises is a failed health check
        database = False
    scheduler = services.scheduler_running()
    plex, checked = services.plex.last()
    ready = database and scheduler is not False
    status = "ok" if ready and plex is not False else ("degraded" if database else "fail")
    out = HealthOut(status=status, live=True, ready=ready, database=database, scheduler=scheduler, plex=plex,
                    plex_checked_at=checked.isoformat(timespec="seconds") if checked else None,
                    version=__version__)
    return ok(out, 200 if database else 503)


@ROUTES.api("/status", "GET", summary="Cache usage, last and next cycle, running operations",
            tag="status", response=StatusOut)
def status() -> tuple[Response, int]:
    st = state()
    services, settings = st.services, st.store.current
    job = st.jobs.current
    busy = st.extra.setdefault("busy", BusyProbe(STATUS_TTL)).running(job is not None and job.running,
                                                                      st.jobs.running)
    cache, last, running, extras = _stored_status((busy, job))
    nxt = services.next_run()
    out = StatusOut(
        cache=cache, last_cycle=last, running_cycle=running,
        next_run=nxt.isoformat(timespec="seconds") if nxt else None, busy=busy, job=job_out(job),
        operations=[op_out(op) for op in services.progress.snapshot()],
        scheduler=services.scheduler_running(), plex=services.plex.last()[0],
        test_mode=settings.TEST_MODE, auth_enabled=auth_enabled(settings), integrations=extras,
        needs_setup=needs_setup())
    return ok(out)


def _stored_status(key: object) -> tuple[CacheUsageOut, CycleOut | None, CycleOut | None, dict[str, Any]]:
    """Cache usage and the last/running cycle, reused for ``STATUS_TTL`` seconds while ``key`` (the web
    job state) is unchanged: many dashboards polling cost one set of queries, and while one request refreshes
    them the others get the previous answer (``web.status_cache``). Progress stays live."""
    st = state()
    cache: Coalesced[tuple[CacheUsageOut, CycleOut | None, CycleOut | None, dict[str, Any]]]
    cache = st.extra.setdefault("status", Coalesced(STATUS_TTL))
    return cache.get(key, _read_status)


def _read_status() -> tuple[CacheUsageOut, CycleOut | None, CycleOut | None, dict[str, Any]]:
    st = state()
    q = st.services.queries
    last, running = q.last_cycle(finished=True), q.last_cycle(finished=False)
    return (CacheUsageOut.model_validate(q.cache_usage(st.store.current)),
            CycleOut.model_validate(last) if last else None,
            CycleOut.model_validate(running) if running else None, st.services.integrations())


@ROUTES.api("/session", "GET", summary="The caller's session: user and the CSRF token for changes",
            tag="auth", response=SessionOut, public=True)
def session_info() -> tuple[Response, int]:
    from flask import g

    settings = state().store.current
    return ok(SessionOut(user=g.get("user"), csrf_token=csrf_token(), auth_enabled=auth_enabled(settings)))


# --- cached media --------------------------------------------------------------------------------
@ROUTES.api("/media", "GET", summary="Cached media, paged; filter by user, reason, library, search",
            tag="media", response=MediaPageOut, query=MediaQuery)
def media() -> tuple[Response, int]:
    args = parse_query(MediaQuery)
    q = state().services.queries
    page = q.media_page(MediaFilter(args.user, args.reason, args.library, args.q, args.pinned),
                        args.page, args.per_page, args.after or None)
    out = MediaPageOut(items=[EntryOut.model_validate(e) for e in page.items], total=page.total,
                       page=page.page, per_page=page.per_page, facets=q.facets(), next_after=page.next_after)
    return ok(out)


def _entry_checked(entry_id: int) -> EntryOut:
    entry = state().services.queries.entry(as_int_id(entry_id))
    if entry is None:
        raise NotFound(f"no cached item with id {entry_id}")
    mapper = state().services.path_mapper
    if mapper is not None:
        try:
            mapper().check_inside_roots(entry.cache_path)
        except UnsafePath as exc:
            raise BadInput(str(exc)) from None
    return EntryOut.model_validate(entry)


@ROUTES.api("/media/<int:entry_id>", "GET", summary="One cached item", tag="media", response=EntryOut)
def media_item(entry_id: int) -> tuple[Response, int]:
    return ok(_entry_checked(entry_id))


@ROUTES.api("/media/<int:entry_id>/pin", "POST", summary="Pin (keep on the cache) or unpin one item",
            tag="media", response=EntryActionOut, body=PinIn, errors=(503,))
def pin_item(entry_id: int) -> tuple[Response, int]:
    entry = _entry_checked(entry_id)
    body = parse_body(PinIn, allow_empty=True)
    _cycle().pin(entry.id, body.pinned)
    fresh = state().services.queries.entry(entry.id)
    return ok(EntryActionOut(ok=True, message=("pinned " if body.pinned else "unpinned ") + entry.title,
                             entry=EntryOut.model_validate(fresh) if fresh else None))


@ROUTES.api("/media/restore-all", "POST", summary="Give everything back to the array (in the background)",
            tag="media", response=AcceptedOut, status=202, errors=(409, 503))
def restore_all() -> tuple[Response, int]:
    cycle = _cycle()
    job = state().jobs.submit("restore-all", cycle.restore_all, _describe)
    return ok(AcceptedOut(accepted=True, job=job_out(job)), 202)


# --- plan and cycles -----------------------------------------------------------------------------
@ROUTES.api("/plan/preview", "POST", summary="Dry run: what a cycle would do now, and why",
            tag="plan", response=PlanOut, errors=(409, 503))
def plan_preview() -> tuple[Response, int]:
    return ok(plan_out(_cycle().preview()))


@ROUTES.api("/plan", "GET", summary="The plan of the last cycle (or dry run)", tag="plan",
            response=LastPlanOut, errors=(503,))
def last_plan() -> tuple[Response, int]:
    plan = _cycle().last_plan()
    return ok(LastPlanOut(plan=plan_out(plan) if plan is not None else None))


def _describe(report: object) -> str:
    if not isinstance(report, CycleReport):
        return "done"
    parts = [f"{report.status} (#{report.cycle_id}): {len(report.cached)} cached",
             f"{len(report.restored)} given back"]
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    return ", ".join(parts) + (f": {report.message}" if report.message else "")


@ROUTES.api("/cycles", "POST", summary="Run a cycle now (in the background); 409 when one is running",
            tag="cycles", response=AcceptedOut, status=202, body=RunCycleIn, errors=(409, 503))
def run_cycle() -> tuple[Response, int]:
    body = parse_body(RunCycleIn, allow_empty=True)
    cycle = _cycle()
    kind = "dry-run" if body.dry_run else "cycle"
    job = state().jobs.submit(kind, lambda: cycle.run(Trigger.API, dry_run=body.dry_run), _describe)
    return ok(AcceptedOut(accepted=True, job=job_out(job)), 202)


@ROUTES.api("/cycles", "GET", summary="Cycle history, newest first (by page, or by ?before=&limit=)",
            tag="history", response=CyclesPageOut, query=HistoryQuery)
def cycles() -> tuple[Response, int]:
    args = parse_query(HistoryQuery)
    q = state().services.queries
    if args.before is None and args.limit is None:
        page = q.cycles_page(args.page, args.per_page)
        more = page.page * page.per_page < page.total
        return ok(CyclesPageOut(items=[CycleOut.model_validate(c) for c in page.items], total=page.total,
                                page=page.page, per_page=page.per_page,
                                next_before=page.items[-1].id if more and page.items else None))
    rows, more = q.cycles_before(args.before, args.limit or args.per_page)
    total = q.cycles_page(1, 1).total
    return ok(CyclesPageOut(items=[CycleOut.model_validate(c) for c in rows], total=total, page=1,
                            per_page=args.limit or args.per_page, next_before=rows[-1].id if more and rows else None))


@ROUTES.api("/operations", "GET", summary="File operations from the journal, newest first, with their "
            "title and cycle (by page, or by ?before=&limit=)", tag="history", response=OperationsPageOut,
            query=HistoryQuery)
def operations() -> tuple[Response, int]:
    args = parse_query(HistoryQuery)
    q = state().services.queries
    if args.before is None and args.limit is None:
        page = q.operations_page(args.page, args.per_page)
        items, more, total = page.items, page.page * page.per_page < page.total, page.total
        number, size = page.page, page.per_page
    else:
        size = args.limit or args.per_page
        items, more = q.operations_before(args.before, size)
        total, number = q.operations_page(1, 1).total, 1
    return ok(OperationsPageOut(items=[OperationOut.model_validate(o) for o in items], total=total, page=number,
                                per_page=size, next_before=items[-1].id if more and items else None))


@ROUTES.api("/usage", "GET", summary="Cache usage and bytes moved over time", tag="history",
            response=UsageOut)
def usage() -> tuple[Response, int]:
    samples = state().services.queries.usage_series()
    return ok(UsageOut(samples=[UsageSampleOut.model_validate(s) for s in samples]))


@ROUTES.api("/logs", "GET", summary="Log tail: lines after a sequence number", tag="logs",
            response=LogsOut, query=LogQuery)
def logs() -> tuple[Response, int]:
    args = parse_query(LogQuery)
    rows = state().services.log_tail(args.after, args.limit)
    terms = secret_terms(state().store.current)
    lines = [LogLineOut(seq=s, level=lvl, line=redact(line, terms)) for s, lvl, line in rows]
    return ok(LogsOut(lines=lines, last_seq=lines[-1].seq if lines else args.after))
