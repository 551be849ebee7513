"""Route collectors: what a view module declares, recorded at import without touching a shared Flask object.

Each view module has its own ``Routes`` (``ROUTES = Routes("dashboard")``) and decorates its views with it,
the way it would decorate them with a Blueprint. Nothing is registered then: ``create_app`` builds fresh
Blueprints (``blueprints``) and a fresh OpenAPI record (``api_spec``) for each app from the collectors it is
given, so two apps in one process share no Flask object and no route is registered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from flask import Blueprint
from pydantic import BaseModel

from cacherr.web.openapi import ApiSpec, Operation

F = TypeVar("F", bound=Callable[..., Any])


class Routes:
    """The views, hooks and OpenAPI operations of one module, for the blueprint named ``blueprint``."""

    def __init__(self, blueprint: str, url_prefix: str | None = None) -> None:
        self.blueprint = blueprint
        self.url_prefix = url_prefix
        self.operations: list[Operation] = []
        self._steps: list[Callable[[Blueprint], object]] = []

    # --- what a module declares (the Blueprint decorators it used) -----------------------------
    def route(self, rule: str, *, methods: Sequence[str] = ("GET",), endpoint: str | None = None) -> Callable[[F], F]:
        def record(fn: F) -> F:
            self._steps.append(lambda bp: bp.add_url_rule(rule, endpoint or fn.__name__, fn, methods=list(methods)))
            return fn

        return record

    def get(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        return self.route(rule, methods=("GET",), endpoint=endpoint)

    def post(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        return self.route(rule, methods=("POST",), endpoint=endpoint)

    def api(self, rule: str, method: str, *, summary: str, tag: str, response: type[BaseModel], status: int = 200,
            **extra: Any) -> Callable[[F], F]:
        """A JSON API view: its Flask rule and its OpenAPI operation (summary, models, answers)."""
        op = Operation(rule, method.upper(), summary, tag, status, response, prefixed=self.url_prefix is not None,
                       **extra)

        def record(fn: F) -> F:
            self.operations.append(op)
            return self.route(rule, methods=(op.method,))(fn)

        return record

    def before_request(self, fn: F) -> F:
        self._steps.append(lambda bp: bp.before_request(fn))
        return fn

    def after_request(self, fn: F) -> F:
        self._steps.append(lambda bp: bp.after_request(fn))
        return fn

    def app_context_processor(self, fn: F) -> F:
        self._steps.append(lambda bp: bp.app_context_processor(fn))
        return fn

    # --- what create_app does with it ----------------------------------------------------------
    def apply(self, bp: Blueprint) -> None:
        """Add every recorded view and hook to ``bp`` (a fresh Blueprint of this collector's name)."""
        if (bp.name, bp.url_prefix) != (self.blueprint, self.url_prefix):
            raise ValueError(f"routes for {self.blueprint!r} ({self.url_prefix}) applied to {bp.name!r}")
        for step in self._steps:
            step(bp)


def blueprints(collectors: Iterable[Routes]) -> list[Blueprint]:
    """Fresh Blueprints, one per blueprint name (in first-seen order), with every collector applied."""
    made: dict[str, Blueprint] = {}
    for routes in collectors:
        bp = made.get(routes.blueprint)
        if bp is None:
            bp = made[routes.blueprint] = Blueprint(routes.blueprint, __name__, url_prefix=routes.url_prefix)
        routes.apply(bp)
    return list(made.values())


def api_spec(prefix: str, collectors: Iterable[Routes]) -> ApiSpec:
    """A fresh OpenAPI record of the collectors' operations, in their order."""
    return ApiSpec(prefix, operations=[op for routes in collectors for op in routes.operations])
