"""Authentication, CSRF protection and security headers.

- Auth is on when ``API_KEY`` is set or ``WEB_USERNAME`` + ``WEB_PASSWORD`` are. Then every endpoint
  but ``/health``, ``/login``, static files and the Plex webhook (which checks its own secret) needs
  either header ``X-Api-Key`` or a logged-in session.
- The dashboard signs in with the username/password (the password is kept hashed when saved from the
  web); with only an API key configured, the login form takes the API key.
- CSRF: a request that changes something (POST/PUT/PATCH/DELETE) must carry the session's token in
  header ``X-CSRF-Token`` or form field ``csrf_token``, unless it authenticates with ``X-Api-Key``.
  Session cookies are HttpOnly and SameSite=Lax, and Secure over HTTPS (directly or through a trusted proxy).
- Signing out revokes the session id (kept until the cookie would expire); failed sign-ins are throttled per
  client address and, more loosely, per connecting address (``X-Forwarded-For`` is a client's word unless it
  comes from ``WEB_TRUSTED_PROXIES``: see ``proxy.py``).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import check_password_hash, generate_password_hash

from cacherr.settings import Settings
from cacherr.web.auth_hosts import API_KEY_FAIL_LIMIT, HOST_EXEMPT_ENDPOINTS, HOST_REFUSED, host_allowed, host_name
from cacherr.web.proxy import PEER_KEY
from cacherr.web.routes import Routes

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_ENDPOINTS = frozenset({"static", "health.health", "auth.login", "auth.login_post", "api.plex_webhook",
                              "api.session_info", "checks.ping"})
HASH_PREFIXES = ("scrypt:", "pbkdf2:")
SECRET_KEY_FILE = ".web_secret_key"  # noqa: S105  (a file name)
REVOKED_FILE = ".web_revoked_sessions"
SESSION_LIFETIME = 30 * 24 * 3600
ADDR_FAIL_LIMIT = 10  # failed sign-ins per window from one client address
PEER_FAIL_LIMIT = 100  # failed sign-ins per window from one real peer (a proxy, or a client faking addresses)
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def hash_password(password: str) -> str:
    """Hash a new dashboard password for saving. Every one, even one that looks like a hash
    (``pbkdf2:...``): the settings file never holds a password in clear. Empty stays empty (sign-in off)."""
    return generate_password_hash(password) if password else ""


def password_matches(stored: str, given: str) -> bool:
    if not stored:
        return False
    if stored.startswith(HASH_PREFIXES):
        try:
            return check_password_hash(stored, given)
        except ValueError:  # a malformed hash (hand-edited file, env value): refuse, never a 500
            return False
    return hmac.compare_digest(stored.encode(), given.encode())


def auth_enabled(settings: Settings) -> bool:
    return bool(settings.API_KEY.get_secret_value()) or settings.web_auth_enabled


def login_kind(settings: Settings) -> str:
    """``password`` (username/password), ``api_key`` (only an API key is set) or ``none``."""
    if settings.web_auth_enabled:
        return "password"
    return "api_key" if settings.API_KEY.get_secret_value() else "none"


def credentials_fingerprint(settings: Settings) -> str:
    """Changes when the credentials change, which signs every session out.

    Keyed with the server's secret key: the (readable) session cookie carries it, and a plain hash would let
    whoever holds a cookie test guesses of the password and API key offline."""
    raw = "\0".join((settings.WEB_USERNAME, settings.WEB_PASSWORD.get_secret_value(),
                     settings.API_KEY.get_secret_value()))
    key = current_app.secret_key
    key_bytes = key if isinstance(key, bytes) else str(key or "").encode()
    return hmac.new(key_bytes, raw.encode(), "sha256").hexdigest()[:32]


def check_credentials(settings: Settings, username: str, password: str) -> bool:
    kind = login_kind(settings)
    if kind == "password":
        user_ok = hmac.compare_digest(settings.WEB_USERNAME.encode(), username.encode())
        return password_matches(settings.WEB_PASSWORD.get_secret_value(), password) and user_ok
    if kind == "api_key":
        return hmac.compare_digest(settings.API_KEY.get_secret_value().encode(), password.encode())
    return False


def api_key_ok(settings: Settings) -> bool:
    key = settings.API_KEY.get_secret_value()
    given = request.headers.get("X-Api-Key") or request.args.get("apikey", "")  # *arr clients use either
    return bool(key and given) and hmac.compare_digest(key.encode(), given.encode())


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def is_logged_in(settings: Settings) -> bool:
    if not session.get("user"):
        return False
    sid = session.get("sid")
    fp = session.get("fp")
    return (isinstance(sid, str) and isinstance(fp, str) and not _revoked().contains(sid)
            and hmac.compare_digest(fp.encode(), credentials_fingerprint(settings).encode()))


def safe_next(target: str | None) -> str:
    """Only same-site relative targets (no open redirect)."""
    if not target:
        return url_for("dashboard.overview")
    parts = urlsplit(target)
    # browsers read "/\\evil.example" (and "/<tab>/evil.example") as "//evil.example": no backslash, no
    # control character or space anywhere
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or any(c == "\\" or ord(c) <= 0x20 or ord(c) == 0x7F for c in target)):
        return url_for("dashboard.overview")
    return target


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _deny(status: int, message: str) -> Response:
    response = jsonify({"error": message, "details": [], "fields": {}})
    response.status_code = status
    return response


def guard(settings_of: Callable[[], Settings]) -> Response | None:
    """``before_request``: authentication, then CSRF. Returns a response to stop the request."""
    settings: Settings = settings_of()
    if not auth_enabled(settings) and request.endpoint not in HOST_EXEMPT_ENDPOINTS \
            and not host_allowed(request.host, settings):
        return _deny(403, HOST_REFUSED.format(host=host_name(request.host)))
    peer = str(request.environ.get(PEER_KEY) or request.remote_addr or "?")
    key_throttle: LoginThrottle = current_app.extensions["cacherr.key_throttle"]
    if request.headers.get("X-Api-Key") and key_throttle.blocked(peer):
        return _deny(429, "too many wrong API keys from this address: wait a few minutes")
    g.api_key_auth = api_key_ok(settings)
    if request.headers.get("X-Api-Key") and not g.api_key_auth and settings.API_KEY.get_secret_value():
        key_throttle.failed(peer)
    g.user = session.get("user") if is_logged_in(settings) else None
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if auth_enabled(settings) and not (g.api_key_auth or g.user):
        if _wants_json():
            return _deny(401, "authentication required: send header X-Api-Key, or sign in to the dashboard")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
    if request.method in MUTATING and not g.api_key_auth and not _csrf_ok():
        return _deny(403, "CSRF token missing or invalid: reload the page (API clients: send X-Api-Key, or "
                     "X-CSRF-Token from GET /api/v1/session)")
    return None


def security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/api/") or request.endpoint in ("auth.login",):
        h.setdefault("Cache-Control", "no-store")
    return response


def session_secret(config_dir: Path) -> bytes:
    """The key that signs session cookies: random, kept in the config folder (mode 600)."""
    path = config_dir / SECRET_KEY_FILE
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    key = secrets.token_bytes(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(key)
        tmp.chmod(0o600)
        tmp.replace(path)
    except OSError:
        pass  # sessions then last until restart
    return key


class RevokedSessions:
    """Ids of sessions signed out before their cookie expired (a signed cookie cannot be taken back), kept
    until that expiry in ``$CONFIG_DIR/.web_revoked_sessions`` so a restart does not revive them."""

    def __init__(self, path: Path, lifetime: float = SESSION_LIFETIME) -> None:
        self.path, self.lifetime = path, lifetime
        self._lock = threading.Lock()
        self._ids: dict[str, float] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self._ids = {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}
        except (OSError, ValueError):
            pass

    def contains(self, sid: str) -> bool:
        expiry = self._ids.get(sid)
        return expiry is not None and expiry > time.time()

    def revoke(self, sid: str) -> None:
        now = time.time()
        with self._lock:
            self._ids = {k: v for k, v in self._ids.items() if v > now}
            self._ids[sid] = now + self.lifetime
            try:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self._ids), encoding="utf-8")
                os.chmod(tmp, 0o600)
                tmp.replace(self.path)
            except OSError:
                pass  # still refused until restart


class LoginThrottle:
    """At most ``limit`` failed logins per client address in ``window`` seconds."""

    MAX_ADDRESSES = 10_000

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, addr: str) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._fails.get(addr)
            while q and now - q[0] > self.window:
                q.popleft()
            return q is not None and len(q) >= self.limit

    def failed(self, addr: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) >= self.MAX_ADDRESSES:  # forget addresses whose failures are all old
                self._fails = {a: q for a, q in self._fails.items() if q and now - q[-1] <= self.window}
            self._fails.setdefault(addr, deque()).append(now)

    def succeeded(self, addr: str) -> None:
        with self._lock:
            self._fails.pop(addr, None)


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie gets ``Secure`` when the request came over HTTPS (directly, or through a trusted
    proxy's ``X-Forwarded-Proto: https``: see ``WEB_TRUSTED_PROXIES``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


def configure(app: Flask, config_dir: Path) -> None:
    app.config.update(
        SECRET_KEY=session_secret(config_dir),
        SESSION_COOKIE_NAME="cacherr_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.session_interface = SessionInterface()
    app.extensions["cacherr.revoked"] = RevokedSessions(config_dir / REVOKED_FILE)
    app.extensions["cacherr.addr_throttle"] = LoginThrottle(limit=ADDR_FAIL_LIMIT)  # per app, never process-wide
    app.extensions["cacherr.peer_throttle"] = LoginThrottle(limit=PEER_FAIL_LIMIT)
    app.extensions["cacherr.key_throttle"] = LoginThrottle(limit=API_KEY_FAIL_LIMIT)


ROUTES = Routes("auth")


def _settings() -> Settings:
    return current_app.extensions["cacherr"].store.current  # type: ignore[no-any-return]


def _revoked() -> RevokedSessions:
    return current_app.extensions["cacherr.revoked"]  # type: ignore[no-any-return]


@ROUTES.get("/login")
def login() -> str:
    settings = _settings()
    return render_template("login.html", kind=login_kind(settings), next=request.args.get("next", ""),
                           error="", username="")


@ROUTES.post("/login", endpoint="login_post")
def login_post() -> tuple[str, int] | Response:
    return _login_post()


def _login_post() -> tuple[str, int] | Response:
    settings = _settings()
    addr = request.remote_addr or "?"
    peer = str(request.environ.get(PEER_KEY) or addr)
    peer_throttle: LoginThrottle = current_app.extensions["cacherr.peer_throttle"]
    addr_throttle: LoginThrottle = current_app.extensions["cacherr.addr_throttle"]
    username = request.form.get("username", "")[:200]
    password = request.form.get("password", "")[:1000]
    nxt = request.form.get("next", "")
    kind = login_kind(settings)
    if not _csrf_ok():
        return render_template("login.html", kind=kind, next=nxt, username=username,
                               error="Your session expired: please try again."), 403
    if addr_throttle.blocked(addr) or peer_throttle.blocked(peer):
        return render_template("login.html", kind=kind, next=nxt, username=username,
                               error="Too many failed attempts: wait a few minutes."), 429
    if kind == "none" or not check_credentials(settings, username, password):
        addr_throttle.failed(addr)
        peer_throttle.failed(peer)
        error = "Sign-in is not enabled." if kind == "none" else "Wrong username or password."
        return render_template("login.html", kind=kind, next=nxt, username=username, error=error), 401
    addr_throttle.succeeded(addr)
    session.clear()
    session.permanent = True
    session["user"] = username or "admin"
    session["fp"] = credentials_fingerprint(settings)
    session["sid"] = secrets.token_urlsafe(24)
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(safe_next(nxt))  # type: ignore[return-value]


@ROUTES.post("/logout")
def logout() -> Response:
    sid = session.get("sid")
    if isinstance(sid, str):
        _revoked().revoke(sid)  # a copy of the cookie no longer signs in either
    session.clear()
    return redirect(url_for("auth.login"))  # type: ignore[return-value]
