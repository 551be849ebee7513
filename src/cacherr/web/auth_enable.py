"""Turning sign-in on in one step, from the banner every page shows while it is off.

``POST /signin/enable`` (form: ``username``, ``password``, ``csrf_token``) saves ``WEB_USERNAME`` and the
hashed ``WEB_PASSWORD`` in one validated save, signs the current browser in and returns to the page it came
from. Only while sign-in is off; afterwards credentials change in Settings (signed in) or in the environment.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, redirect, render_template, request, session

from cacherr.domain.errors import ConfigError
from cacherr.web.auth import auth_enabled, credentials_fingerprint, hash_password, safe_next
from cacherr.web.routes import Routes

MIN_PASSWORD = 8
ROUTES = Routes("auth")


def _fail(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


@ROUTES.post("/signin/enable", endpoint="enable_signin")
def enable_signin() -> tuple[str, int] | Response:
    store = current_app.extensions["cacherr"].store
    if auth_enabled(store.current):
        return _fail(403, "Sign-in is already on: change the credentials in Settings → Web.")
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1000]
    if not username:
        return _fail(422, "Choose a user name to sign in with.")
    if len(password) < MIN_PASSWORD:
        return _fail(422, f"Choose a password of at least {MIN_PASSWORD} characters.")
    locked = {"WEB_USERNAME", "WEB_PASSWORD"} & store.locked
    if locked:
        return _fail(422, f"{', '.join(sorted(locked))} is set by the container's environment: set both there.")
    try:
        settings = store.save({"WEB_USERNAME": username, "WEB_PASSWORD": hash_password(password)})
    except ConfigError as exc:
        return _fail(422, "Sign-in could not be turned on: " + "; ".join(exc.problems))
    session.clear()
    session.permanent = True
    session["user"] = username
    session["fp"] = credentials_fingerprint(settings)
    session["sid"] = secrets.token_urlsafe(24)
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(safe_next(request.form.get("next")))  # type: ignore[return-value]
