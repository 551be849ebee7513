"""How a setting's value is shown (secrets masked) and saved, and how a validation error is worded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from cacherr.settings_fields import FULLY_MASKED, SECRET_FIELDS, SettingsFields
from cacherr.settings_messages import plain_message
from cacherr.settings_types import Schedule, SizeLimit, mask, raw_text


def display_value(settings: SettingsFields, name: str) -> Any:
    """A JSON-friendly value of one setting with secrets masked."""
    value = getattr(settings, name)
    if name in FULLY_MASKED:  # not even the last characters of a password
        return "****" if value.get_secret_value() else ""
    if isinstance(value, SecretStr):
        return mask(value.get_secret_value())
    if isinstance(value, list):
        return [display_value_item(v) for v in value]
    if isinstance(value, SizeLimit | Schedule):
        return raw_text(value)
    return value


def display_value_item(v: Any) -> Any:
    if isinstance(v, SecretStr):
        return mask(v.get_secret_value())
    if isinstance(v, BaseModel):
        return v.model_dump()
    return v


def serialise(settings: SettingsFields, name: str) -> Any:
    """The raw (unmasked) JSON value of one setting, as saved in cacherr_config.json."""
    value = getattr(settings, name)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, SizeLimit | Schedule):
        return raw_text(value)
    if isinstance(value, list):
        return [v.get_secret_value() if isinstance(v, SecretStr) else
                (v.model_dump() if isinstance(v, BaseModel) else v) for v in value]
    if isinstance(value, dict):
        return {k: v.model_dump(exclude_defaults=True) if isinstance(v, BaseModel) else v for k, v in value.items()}
    return value


def format_validation_error(err: ValidationError, given: Mapping[str, Any]) -> list[str]:
    """One line per problem: ``NAME=value: what is accepted``. Secrets are masked."""
    lines = []
    for e in err.errors():
        loc = e.get("loc") or ("?",)
        name = str(loc[0])
        raw = given.get(name, e.get("input"))
        shown = mask(str(raw)) if name in SECRET_FIELDS else raw
        msg = plain_message(e)
        if e.get("type") == "extra_forbidden":
            if len(loc) > 1:  # a key inside a JSON setting (PATH_MAPPINGS, LIBRARY_RULES)
                lines.append(f"{name}: unknown field {'.'.join(str(x) for x in loc[1:])!r}; remove it "
                             "(docs/configuration.md lists the fields)")
            else:
                lines.append(f"{name}: unknown setting; remove it (see docs/configuration.md for the names)")
            continue
        where = "" if len(loc) == 1 else " (" + ".".join(str(x) for x in loc[1:]) + ")"
        lines.append(f"{name}={shown}{where}: {msg}")
    return lines
