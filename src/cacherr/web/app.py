"""The Flask application factory: ``create_app(container_or_services, settings_store)``."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from cacherr.domain.errors import CacherrError, ConfigError, CycleBusy, PlexUnavailable, UnsafePath
from cacherr.services.restore import EntryNotFound
from cacherr.settings_store import SettingsStore
from cacherr.web import (
    api,
    api_library_rules,
    api_more,
    api_settings,
    auth,
    auth_enable,
    checks,
    dashboard,
    dashboard_history,
    setup,
)
from cacherr.web.api_common import PREFIX, BadInput, WebState
from cacherr.web.jobs import JobRunner
from cacherr.web.openapi import ApiSpec
from cacherr.web.proxy import TrustedProxyFix
from cacherr.web.routes import Routes, api_spec, blueprints
from cacherr.web.services import ProvidesWebServices, WebServices

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024  # Plex webhooks carry a thumbnail
# Every module's route collector, in the order the blueprints are registered and the operations documented.
ROUTES: tuple[Routes, ...] = (
    api.HEALTH, api.ROUTES, api_library_rules.ROUTES, api_more.ROUTES, api_settings.ROUTES, checks.ROUTES,
    auth.ROUTES, auth_enable.ROUTES, dashboard.ROUTES, dashboard_history.ROUTES, setup.ROUTES, checks.PAGE_ROUTES,
)


def openapi_spec() -> ApiSpec:
    """A fresh OpenAPI record of every API route (``create_app`` makes one per app; docs/api.md renders one)."""
    return api_spec(PREFIX, ROUTES)


def create_app(container_or_services: WebServices | ProvidesWebServices,
               settings_store: SettingsStore | None = None) -> Flask:
    """Build the app from a ``WebServices`` or a bootstrap ``Container``. Nothing starts here."""
    services = (container_or_services if isinstance(container_or_services, WebServices)
                else container_or_services.web_services())
    store = settings_store or services.store
    services.store = store
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # type: ignore[attr-defined]
    auth.configure(app, store.config_dir)
    # X-Forwarded-* only from WEB_TRUSTED_PROXIES (read per request: a change applies at once)
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, lambda: store.current.WEB_TRUSTED_PROXIES)  # type: ignore[method-assign]
    app.extensions["cacherr"] = WebState(services, store, JobRunner(services.cycle_busy))
    for blueprint in blueprints(ROUTES):  # fresh per app: nothing is shared with another app
        app.register_blueprint(blueprint)
    spec = app.extensions["cacherr.openapi"] = openapi_spec()
    app.add_url_rule(f"{PREFIX}/openapi.json", "openapi", lambda: jsonify(spec.document()))
    app.before_request(lambda: auth.guard(lambda: store.current))
    app.after_request(auth.security_headers)
    _register_errors(app)
    return app


def _wants_json() -> bool:
    return (request.path.startswith(("/api/", "/setup/api/")) or request.path == "/health"
            or request.accept_mimetypes.best == "application/json")


def _error(status: int, message: str, details: list[str] | None = None,
           fields: dict[str, str] | None = None) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify({"error": message, "details": details or [], "fields": fields or {}}), status
    return render_template("error.html", status=status, message=message), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        if isinstance(exc, BadInput):
            return _error(code, exc.description or "bad request", exc.details, exc.fields)
        return _error(code, exc.description or exc.name)

    @app.errorhandler(CycleBusy)
    def busy(exc: CycleBusy) -> tuple[Response | str, int]:
        return _error(409, str(exc) or "a cycle is already running")

    @app.errorhandler(UnsafePath)
    def unsafe(exc: UnsafePath) -> tuple[Response | str, int]:
        return _error(400, str(exc))

    @app.errorhandler(ConfigError)
    def config(exc: ConfigError) -> tuple[Response | str, int]:
        return _error(422, "invalid settings", exc.problems)

    @app.errorhandler(PlexUnavailable)
    def plex_down(exc: PlexUnavailable) -> tuple[Response | str, int]:
        return _error(503, str(exc) or "Plex is not reachable")

    @app.errorhandler(EntryNotFound)
    def not_found(exc: EntryNotFound) -> tuple[Response | str, int]:
        return _error(404, str(exc) or "not found")

    @app.errorhandler(CacherrError)
    def cacherr_error(exc: CacherrError) -> tuple[Response | str, int]:
        return _error(400, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error(500, f"internal error ({type(exc).__name__}); the log has the details")
