"""Settings (read with sources and locks, secrets masked; update validated per field, saved atomically,
applied without restart), the test notification and the Plex webhook receiver."""

from __future__ import annotations

import hmac
import json
import logging
import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

from flask import Response, request
from pydantic import BaseModel, SecretStr
from werkzeug.exceptions import Forbidden, ServiceUnavailable

from cacherr.domain.errors import ConfigError
from cacherr.settings import Settings, SizeLimit, build_settings, display_value, field_meta, mask
from cacherr.settings_checks import ENV_ONLY
from cacherr.settings_labels import SECTIONS, label_of
from cacherr.settings_store import SettingsNotWritten, read_json_file
from cacherr.web.api import ok
from cacherr.web.api_common import BadInput, api_routes, parse_body, parse_query, state
from cacherr.web.auth import HASH_PREFIXES, hash_password
from cacherr.web.schemas import (
    NotifyOut,
    SettingOut,
    SettingsOut,
    SettingsPatchIn,
    SettingsSavedOut,
    WebhookOut,
    WebhookQuery,
)

log = logging.getLogger(__name__)
ROUTES = api_routes()
_PROBLEM_RE = re.compile(r"^([A-Z][A-Z0-9_]*)[=:(]")


def _kind(name: str) -> tuple[str, list[str]]:
    annotation = Settings.model_fields[name].annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is SecretStr or (origin is list and args and args[0] is SecretStr):
        return "secret", []
    if annotation is bool:
        return "bool", []
    if annotation in (int, float):
        return "number", []
    if origin is Literal:
        return "choice", [str(a) for a in args]
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "json", []
    if origin is dict:  # LIBRARY_RULES
        return "json", []
    if origin is list or (origin in (typing.Union, types.UnionType) and list in args):
        return "list", []
    return "text", []


def settings_out() -> SettingsOut:
    store = state().store
    current, locked = store.current, store.locked
    rows, groups = [], []
    for name in Settings.model_fields:
        meta = field_meta(name)
        group = str(meta.get("group", "Other"))
        if group not in groups:
            groups.append(group)
        kind, choices = _kind(name)
        value = _size_text(current, name)
        rows.append(SettingOut(
            name=name, value=value, source=store.source_of(name), locked=name in locked or name in ENV_ONLY,
            secret=bool(meta.get("secret")), is_set=bool(value), group=group,
            description=Settings.model_fields[name].description or "", advanced=bool(meta.get("advanced")),
            restart=bool(meta.get("restart")), kind=kind, choices=choices, label=label_of(name).label,
            section=label_of(name).section))
    return SettingsOut(groups=groups, settings=rows, sections=list(SECTIONS))


def _size_text(settings: Settings, name: str) -> Any:
    """Sizes as people write them (``2GB`` rather than ``2147483648``); other values as displayed."""
    raw = getattr(settings, name)
    if isinstance(raw, SizeLimit) and raw.bytes:
        for unit, factor in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
            if raw.bytes % factor == 0:
                return f"{raw.bytes // factor}{unit}"
    return display_value(settings, name)


@ROUTES.api("/settings", "GET", summary="Effective settings with source, env locks; secrets masked",
            tag="settings", response=SettingsOut)
def get_settings() -> tuple[Response, int]:
    return ok(settings_out())


def _field_of(problem: str) -> str:
    m = _PROBLEM_RE.match(problem)
    return m.group(1) if m else ""


def _message_of(problem: str, name: str, given: Any = None) -> str:
    """The message of one ``NAME=value (where): message`` problem, for the field: ``where: message``.

    The value is cut off as it was written (a JSON value's text holds ": " too)."""
    rest = problem[len(name):]
    if given is not None:
        shown = mask(str(given)) if field_meta(name).get("secret") else given
        prefix = f"={shown}"
        if rest.startswith(prefix):
            rest = rest[len(prefix):]
            if rest.startswith(" (") and "): " in rest:
                where, message = rest[2:].split("): ", 1)
                return f"{where}: {message}"
            return rest.removeprefix(": ")
    return rest.split(": ", 1)[1] if ": " in rest else rest.lstrip(":= ")


def prepare_changes(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep secrets sent back masked; hash a new dashboard password; refuse unknown names."""
    store = state().store
    current = store.current
    fields: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in Settings.model_fields:
            fields[name] = "unknown setting"
            continue
        if name in store.locked:
            fields[name] = "set by an environment variable; change it in the container settings"
            continue
        if field_meta(name).get("secret"):
            if isinstance(getattr(current, name), list):
                try:
                    value = _unmask_list(value, [s.get_secret_value() for s in getattr(current, name)])
                except ValueError as exc:
                    fields[name] = str(exc)
                    continue
            elif _is_masked(value) and value == display_value(current, name):
                continue  # the masked value came back: unchanged
        if name == "WEB_PASSWORD" and isinstance(value, str):
            if value == current.WEB_PASSWORD.get_secret_value() and value.startswith(HASH_PREFIXES):
                continue  # the saved hash itself came back
            value = hash_password(value)
        changes[name] = value
    if fields:
        raise BadInput("some settings cannot be changed", [f"{k}: {v}" for k, v in fields.items()], fields,
                       status=422)
    return changes


def _is_masked(value: Any) -> bool:
    return isinstance(value, str) and "****" in value


def _split_items(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                return value  # the validator reports it
        return [v.strip() for v in text.split(",") if v.strip()]
    return value


def _unmask_list(value: Any, saved: list[str]) -> Any:
    """A list of secrets (``NOTIFY_URLS``) where some items came back masked (``discord://****``): each
    masked item is the saved value it masks, so an item can be added or removed without retyping the
    others. A mask that matches no saved value is refused rather than saved (it is not a URL)."""
    items = _split_items(value)
    if not isinstance(items, list):
        return value
    unused = list(saved)
    out: list[Any] = []
    for item in items:
        if not _is_masked(item):
            out.append(item)
            continue
        match = next((s for s in unused if mask(s) == item), None)
        if match is None:
            raise ValueError(f"{item!r} is a masked value that matches no saved one: type the full value")
        unused.remove(match)
        out.append(match)
    return out


def _save() -> tuple[Response, int]:
    body = parse_body(SettingsPatchIn)
    changes = prepare_changes(body.root)
    store = state().store
    before = store.current
    try:
        after = store.save(changes)
    except ConfigError as exc:
        fields: dict[str, str] = {}
        for problem in exc.problems:
            name = _field_of(problem)
            fields.setdefault(name or "settings", _message_of(problem, name, changes.get(name)) if name else problem)
        raise BadInput("invalid settings: nothing was saved", exc.problems, fields, status=422) from None
    except SettingsNotWritten as exc:
        raise ServiceUnavailable(str(exc)) from None
    except (ArithmeticError, RecursionError, ValueError, TypeError):
        # a value the validators do not turn into a ConfigError (a size of 10^400, JSON nested 10^5 deep)
        fields = _culprits(changes)
        raise BadInput("invalid settings: nothing was saved", [f"{k}: {v}" for k, v in fields.items()], fields,
                       status=422) from None
    changed = sorted(n for n in changes if getattr(before, n) != getattr(after, n))
    restart = [n for n in changed if field_meta(n).get("restart")]
    return ok(SettingsSavedOut(saved=changed, restart_needed=restart, settings=settings_out()))


def _culprits(changes: dict[str, Any]) -> dict[str, str]:
    """Which of ``changes`` cannot be validated at all (tried one by one over the saved values)."""
    store = state().store
    try:
        saved = read_json_file(store.path)
    except ConfigError:
        saved = {}
    out: dict[str, str] = {}
    for name, value in changes.items():
        try:
            build_settings({**saved, name: value}, store.env)
        except ConfigError:
            continue
        except Exception:  # noqa: BLE001  any other validation crash is reported as a bad value, not a 500
            out[name] = "out of range or malformed"
    return out or {"settings": "a value is out of range or malformed"}


@ROUTES.api("/settings", "PATCH", summary="Change some settings (validated per field, saved atomically, "
            "applied at once)", tag="settings", response=SettingsSavedOut, body=SettingsPatchIn, errors=(422, 503))
def patch_settings() -> tuple[Response, int]:
    return _save()


@ROUTES.api("/settings", "PUT", summary="Same as PATCH: the settings sent are changed, others kept",
            tag="settings", response=SettingsSavedOut, body=SettingsPatchIn, errors=(422, 503))
def put_settings() -> tuple[Response, int]:
    return _save()


@ROUTES.api("/notifications/test", "POST", summary="Send a test notification to NOTIFY_URLS",
            tag="notifications", response=NotifyOut, errors=(400, 503))
def test_notification() -> tuple[Response, int]:
    factory = state().services.notifier
    notifier = factory() if factory is not None else None
    if notifier is None:
        raise ServiceUnavailable("notifications are not available in this build")
    if not notifier.enabled:
        raise BadInput("no notification target: set NOTIFY_URLS (or mount Unraid's notify script)")
    delivered, message = notifier.send_test()
    return ok(NotifyOut(delivered=bool(delivered), message=message))


@ROUTES.api("/webhook/plex", "POST", summary="Plex webhook receiver (multipart with a `payload` JSON "
            "part); authenticated by ?secret=WEBHOOK_SECRET", tag="webhook", response=WebhookOut,
            query=WebhookQuery, form_fields=("payload",), errors=(403,), public=True)
def plex_webhook() -> tuple[Response, int]:
    expected = state().store.current.WEBHOOK_SECRET.get_secret_value()
    args = parse_query(WebhookQuery) if request.args.get("secret") else None
    if not expected:
        raise Forbidden("the webhook is disabled: set WEBHOOK_SECRET and add it to the webhook URL")
    if args is None or not hmac.compare_digest(expected.encode(), args.secret.encode()):
        raise Forbidden("wrong or missing ?secret= for the webhook")
    payload = _payload()
    event = payload.get("event")
    handler = state().services.webhook_handler()
    if handler is None:
        return ok(WebhookOut(accepted=False, event=_str(event), message="no real-time handler is running"))
    result = handler(payload)  # the handler queues the work and returns at once
    action, detail = str(result.get("action") or "accepted"), str(result.get("detail") or "")
    return ok(WebhookOut(accepted=action != "rejected", event=_str(event),
                         message=f"{action}: {detail}" if detail else str(action)))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _payload() -> dict[str, Any]:
    text = request.form.get("payload")
    if text is None:
        raise BadInput("expected a multipart form with a `payload` part (as Plex sends)")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise BadInput("the `payload` part is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadInput("the `payload` part must be a JSON object")
    return payload
