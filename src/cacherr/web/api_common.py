"""Shared pieces of the API blueprint: its route collectors, request parsing, conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from cacherr.domain.cache import Plan
from cacherr.services.progress import RunningOp
from cacherr.settings_store import SettingsStore
from cacherr.web.jobs import Job, JobRunner
from cacherr.web.routes import Routes
from cacherr.web.schemas import ActionOut, JobOut, PlanOut, RunningOpOut, SkipOut
from cacherr.web.services import WebServices

PREFIX = "/api/v1"
M = TypeVar("M", bound=BaseModel)


def api_routes() -> Routes:
    """A module's collector for the /api/v1 blueprint (``create_app`` applies them all)."""
    return Routes("api", url_prefix=PREFIX)


@dataclass
class WebState:
    """What the views reach through ``current_app.extensions["cacherr"]``."""

    services: WebServices
    store: SettingsStore
    jobs: JobRunner
    extra: dict[str, Any] = field(default_factory=dict)


def state() -> WebState:
    return current_app.extensions["cacherr"]  # type: ignore[no-any-return]


class BadInput(BadRequest):
    """400 with a list of problems (and per-field messages)."""

    def __init__(self, message: str, details: list[str] | None = None, fields: dict[str, str] | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.code = status
        self.details = details or []
        self.fields = fields or {}


def _problems(err: ValidationError) -> tuple[list[str], dict[str, str]]:
    details: list[str] = []
    fields: dict[str, str] = {}
    for e in err.errors():
        name = ".".join(str(x) for x in e.get("loc", ())) or "body"
        msg = str(e.get("msg", "invalid"))
        details.append(f"{name}: {msg}")
        fields.setdefault(name, msg)
    return details, fields


def parse_query(model: type[M]) -> M:
    raw = {k: v for k, v in request.args.items() if k in model.model_fields}
    unknown = sorted(set(request.args) - set(model.model_fields))
    if unknown:
        raise BadInput(f"unknown query parameter(s): {', '.join(unknown)}")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        details, fields = _problems(err)
        raise BadInput("invalid query parameters", details, fields) from None


def parse_body(model: type[M], *, allow_empty: bool = False) -> M:
    if allow_empty and not request.get_data(cache=True):
        return model.model_validate({})
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # JSON nested too deep for the parser
        data = None
    if data is None:
        raise BadInput("the body is not valid JSON")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        details, fields = _problems(err)
        raise BadInput("invalid request body", details, fields) from None


def job_out(job: Job | None) -> JobOut | None:
    return None if job is None else JobOut.model_validate(job)


def op_out(op: RunningOp) -> RunningOpOut:
    speed = op.bytes_per_second
    remaining = max(0, op.bytes_total - op.bytes_done)
    eta = remaining / speed if speed > 0 else None
    return RunningOpOut(op_id=op.op_id, kind=op.kind, title=op.title, path=op.path, bytes_done=op.bytes_done,
                        bytes_total=op.bytes_total, percent=round(op.percent, 2),
                        bytes_per_second=round(speed, 1), eta_seconds=None if eta is None else round(eta, 1))


def plan_out(plan: Plan) -> PlanOut:
    actions = [ActionOut(kind=str(a.kind), title=a.title or a.cache_path.rsplit("/", 1)[-1], size=a.size,
                         reason=a.reason.label, why=a.why, users=sorted(a.users), cache_path=a.cache_path)
               for a in plan.actions]
    skips = [SkipOut(title=s.title, path=s.path, why=s.why, size=s.size) for s in plan.skips]
    return PlanOut(created_at=plan.created_at.isoformat(timespec="seconds"), actions=actions, skips=skips,
                   budget_bytes=plan.budget_bytes, usage_before=plan.usage_before, usage_after=plan.usage_after,
                   bytes_to_cache=sum(a.size for a in plan.to_cache),
                   bytes_to_restore=sum(a.size for a in plan.to_restore), notes=list(plan.notes))


def as_int_id(value: int) -> int:
    """Ids beyond SQLite's integer range cannot exist: treat them as not found."""
    from werkzeug.exceptions import NotFound

    if not 1 <= value < 2**62:
        raise NotFound("no such id")
    return value
