"""Issue 12 item 8: routes and the OpenAPI record are built per app, not filled by import side effects.
Two apps in one process get the same routes and the same document, each once, and share no Blueprint."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Blueprint, Flask

from cacherr.web.routes import Routes, api_spec, blueprints
from cacherr.web.schemas import HealthOut
from tests.web.conftest import World


def _rules(app: Flask) -> Counter[tuple[str, str]]:
    return Counter((rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods or ()
                   if method != "OPTIONS")  # Flask answers OPTIONS on every rule of a path


def test_two_apps_serve_the_same_routes_once_and_the_same_document(world_factory: Callable[..., World]) -> None:
    first, second = world_factory(), world_factory()
    rules_first, rules_second = _rules(first.app), _rules(second.app)
    assert rules_first == rules_second
    assert max(rules_first.values()) == 1, [r for r, n in rules_first.items() if n > 1]
    assert ("/api/v1/status", "GET") in rules_first and ("/health", "GET") in rules_first
    doc_first = first.client.get("/api/v1/openapi.json").get_json()
    doc_second = second.client.get("/api/v1/openapi.json").get_json()
    assert doc_first == doc_second
    documented = [(method, path) for path, ops in doc_first["paths"].items() for method in ops]
    assert len(documented) == len(first.app.extensions["cacherr.openapi"].operations)  # each operation once
    for name in ("api", "health", "auth", "dashboard", "setup", "checks"):
        assert first.app.blueprints[name] is not second.app.blueprints[name]
    assert first.app.extensions["cacherr.openapi"] is not second.app.extensions["cacherr.openapi"]


def test_a_collector_touches_no_blueprint_until_applied() -> None:
    routes = Routes("demo", url_prefix="/x")

    @routes.api("/thing", "GET", summary="a thing", tag="demo", response=HealthOut)
    def thing() -> str:
        return "ok"

    app = Flask(__name__)
    assert "demo.thing" not in app.view_functions
    for bp in blueprints([routes]):
        app.register_blueprint(bp)
    assert app.test_client().get("/x/thing").get_data(as_text=True) == "ok"
    assert len(api_spec("/x", [routes]).operations) == 1
    with pytest.raises(ValueError, match="applied to 'other'"):
        routes.apply(Blueprint("other", __name__, url_prefix="/x"))


def test_every_route_collector_of_the_web_package_is_applied() -> None:
    """A module's routes are served only when its collector is listed in ``web.app.ROUTES``: none is forgotten."""
    import cacherr.web
    from cacherr.web.app import ROUTES

    found = []
    for info in pkgutil.iter_modules(cacherr.web.__path__):
        module = importlib.import_module(f"cacherr.web.{info.name}")
        found += [(info.name, name) for name, value in vars(module).items()
                  if isinstance(value, Routes) and value not in ROUTES]
    assert found == []
