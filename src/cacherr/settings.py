"""The typed settings tree.

One flat model whose field names are the environment names Unraid users already know from the
PlexCache family (``PLEX_URL``, ``CACHE_LIMIT``, ...). Each field carries its group and a description;
``docs/configuration.md`` and ``env.example`` are generated from them (``scripts/gen-docs``), and a
test fails when either is stale.

Precedence: environment variables > ``$CONFIG_DIR/cacherr_config.json`` (saved by the web UI) >
defaults. Loading, saving and reloading live in ``settings_store``; this module holds no I/O.

The fields are declared in ``settings_fields``, how values are shown and saved in ``settings_values``, the
value types in ``settings_types``; this module is the model (validators, sources, derived values) and
re-exports every name, so ``from cacherr.settings import ...`` is the one import callers need.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pydantic import SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cacherr.domain.errors import ConfigError
from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.paths import PathMapping
from cacherr.domain.quiet_hours import parse_windows
from cacherr.domain.versions import VersionRule
from cacherr.settings_fields import FULLY_MASKED, SECRET_FIELDS, CsvList, SettingsFields, field_meta
from cacherr.settings_types import (
    SIZE_HINT,
    TRAKT_LIST_NAMES,
    PathMappingSetting,
    Schedule,
    SizeLimit,
    mask,
    parse_size,
    plex_root,
    raw_text,
)
from cacherr.settings_values import display_value, display_value_item, format_validation_error, serialise

__all__ = ["FULLY_MASKED", "SECRET_FIELDS", "SIZE_HINT", "TRAKT_LIST_NAMES", "ConfigError", "CsvList",
           "PathMappingSetting", "Schedule", "Settings", "SettingsFields", "SizeLimit", "build_settings",
           "display_value", "display_value_item", "env_locked", "field_meta", "format_validation_error", "mask",
           "missing_for_plex", "parse_size", "raw_text", "serialise"]

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-~.]{8,128}$")


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [v.strip() for v in text.split(",") if v.strip()]
    return value


# (environment, saved JSON) for the Settings being built; see build_settings.
_SOURCES: ContextVar[tuple[Mapping[str, str], Mapping[str, Any]]] = ContextVar("cacherr_settings_sources")


class _MappingSource(PydanticBaseSettingsSource):
    """A pydantic-settings source over a plain mapping (the environment, or the saved JSON)."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # noqa: ARG002  pydantic-settings hook signature
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


class Settings(SettingsFields):
    """Every Cacherr setting. Field name = environment variable name."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003  pydantic-settings calls by keyword; unused
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003  pydantic-settings calls by keyword; unused
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003  pydantic-settings calls by keyword; unused
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env, saved = _SOURCES.get(({}, {}))
        # Earlier sources win: explicit init values, then the environment, then the web-saved JSON.
        return (init_settings, _MappingSource(settings_cls, env), _MappingSource(settings_cls, saved))

    # --- validators -------------------------------------------------------------------------
    @field_validator("SKIP_ONDECK_USERS", "SKIP_WATCHLIST_USERS", mode="before")
    @classmethod
    def _csv(cls, v: Any) -> Any:
        return _split_csv(v)

    @field_validator("WEB_ALLOWED_HOSTS", mode="before")
    @classmethod
    def _hosts(cls, v: Any) -> Any:
        v = _split_csv(v)
        for x in v if isinstance(v, list) else ():
            if not re.fullmatch(r"\.?[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252})", str(x)):
                raise ValueError(f"{x!r} is not a host name like cacherr.home.lan")
        return [str(x).lower().rstrip(".") for x in v] if isinstance(v, list) else v

    @field_validator("API_KEY")
    @classmethod
    def _api_key(cls, v: SecretStr) -> SecretStr:
        if v.get_secret_value() and len(v.get_secret_value()) < 16:
            raise ValueError("an API key must be at least 16 characters (try: openssl rand -hex 16)")
        return v

    @field_validator("TZ")
    @classmethod
    def _tz(cls, v: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; expected a name like Europe/Berlin or America/New_York") from None
        return v

    @field_validator("WEB_TRUSTED_PROXIES", mode="before")
    @classmethod
    def _networks(cls, v: Any) -> Any:
        v = _split_csv(v)
        for x in v if isinstance(v, list) else ():
            try:
                ipaddress.ip_network(str(x), strict=False)
            except ValueError:
                raise ValueError(f"{x!r} is not an IP address or network like 192.168.1.0/24") from None
        return v

    @field_validator("NOTIFY_URLS", mode="before")
    @classmethod
    def _urls(cls, v: Any) -> Any:
        v = _split_csv(v)
        if isinstance(v, list):
            return [s.get_secret_value() if isinstance(s, SecretStr) else s for s in v]
        return v

    @field_validator("TRAKT_LISTS", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        v = _split_csv(v)
        bad = [x for x in v if x not in TRAKT_LIST_NAMES] if isinstance(v, list) else []
        if bad:
            raise ValueError(f"unknown Trakt list {bad[0]!r}; expected some of {', '.join(TRAKT_LIST_NAMES)}")
        return v

    @field_validator("CACHE_LIMIT", "MIN_FREE_SPACE", "TRAKT_MAX_BYTES", mode="before")
    @classmethod
    def _size(cls, v: Any) -> Any:
        return v if isinstance(v, SizeLimit) else SizeLimit.parse(str(v))

    @field_validator("MEDIA_VERSION")
    @classmethod
    def _media_version(cls, v: str) -> str:
        return str(VersionRule.parse(v))

    @field_validator("SCHEDULE", mode="before")
    @classmethod
    def _schedule(cls, v: Any) -> Any:
        schedule = v if isinstance(v, Schedule) else Schedule.parse(str(v))
        if schedule.cron:
            from apscheduler.triggers.cron import CronTrigger

            try:  # parsed for real, as the scheduler will
                CronTrigger.from_crontab(schedule.cron, timezone="UTC")
            except ValueError as exc:
                raise ValueError(f"not a valid cron expression ({exc}); expected e.g. '0 */6 * * *' "
                                 "(minute hour day month weekday)") from None
        return schedule

    @field_validator("QUIET_HOURS", mode="before")
    @classmethod
    def _quiet(cls, v: Any) -> list[str]:
        return [str(w) for w in parse_windows(_split_csv(v))]

    @field_validator("LIBRARY_RULES", mode="before")
    @classmethod
    def _library_rules(cls, v: Any) -> Any:
        if isinstance(v, str):
            if not v.strip():
                return {}
            try:
                return json.loads(v)
            except json.JSONDecodeError:
                raise ValueError('expected JSON like {"Movies": {"watchlist": false}, "TV Shows": {"episodes": 3}}') \
                    from None
        return v

    def library_rules(self) -> dict[str, LibraryRule]:
        return {name: rule.to_rule() for name, rule in self.LIBRARY_RULES.items()}

    @field_validator("PATH_MAPPINGS", mode="before")
    @classmethod
    def _mappings(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = v.strip()
            if not text:
                return []
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError('expected JSON like [{"name":"movies","plex_path":"/data/movies",'
                                 '"real_path":"/mnt/user0/movies","cache_path":"/mnt/cache/movies"}]') from None
        return v

    @field_validator("PLEX_TOKEN")
    @classmethod
    def _token_shape(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if raw and not _TOKEN_RE.match(raw):
            raise ValueError("expected a Plex token: 8 to 128 letters, digits, '-' or '_' (no spaces or quotes)")
        return v

    @field_validator("PLEX_FRIENDS_WATCHLIST_RSS")
    @classmethod
    def _rss(cls, v: str) -> str:
        v = v.strip()
        if v and not re.match(r"^(https://(discover\.provider\.plex\.tv/rss|rss\.plex\.tv)/)?[\w-]+$", v):
            raise ValueError("expected the feed address plex.tv shows, like https://discover.provider.plex.tv/rss/"
                             "<id> (or just the id)")
        return v

    @field_validator("PLEX_URL", "PLEX_TV_URL", "TRAKT_URL")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("expected an http:// or https:// URL like http://192.168.1.10:32400")
        return v.rstrip("/")

    @field_validator("PLEX_SOURCE")
    @classmethod
    def _plex_root(cls, v: str) -> str:
        return plex_root(v, "expected an absolute path starting with / (or, for Plex on Windows, a drive path "
                         "like M:\\Media or a share like \\\\tower\\media)")

    @field_validator("REAL_SOURCE", "CACHE_DESTINATION")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("expected an absolute path starting with /")
        return v.rstrip("/") or "/"

    @field_validator("MOVER_EXCLUDE_FILE", "UNRAID_NOTIFY_SCRIPT", "MOVER_PID_FILE")
    @classmethod
    def _absolute_or_empty(cls, v: str) -> str:
        if v and not v.startswith("/"):
            raise ValueError("expected an absolute path starting with /, or empty")
        return v

    # --- derived ----------------------------------------------------------------------------
    def path_mappings(self) -> tuple[PathMapping, ...]:
        if self.PATH_MAPPINGS:
            return tuple(m.to_domain() for m in self.PATH_MAPPINGS)
        return (PathMapping("default", self.PLEX_SOURCE, self.REAL_SOURCE, self.CACHE_DESTINATION),)

    def secret(self, name: str) -> str:
        """The raw value of a secret setting (for adapters only; never log it)."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    @property
    def web_auth_enabled(self) -> bool:
        return bool(self.WEB_USERNAME and self.WEB_PASSWORD.get_secret_value())


def build_settings(json_values: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    """Validate ``json_values`` overlaid by ``env`` (only known names are read from env).

    Raises ``ConfigError`` with one line per problem.
    """
    unknown = sorted(set(json_values) - set(Settings.model_fields))
    if unknown:
        raise ConfigError([f"{k}: unknown setting in cacherr_config.json; remove it" for k in unknown])
    merged: dict[str, Any] = dict(json_values)
    merged.update({k: v for k, v in env.items() if k in Settings.model_fields})
    token = _SOURCES.set((env, json_values))
    try:
        return Settings()
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, merged)) from None
    finally:
        _SOURCES.reset(token)


def missing_for_plex(settings: Settings) -> list[str]:
    """Problems that stop a command that must talk to Plex (cycle, plan), one line each."""
    problems = []
    if not settings.PLEX_TOKEN.get_secret_value():
        problems.append("PLEX_TOKEN is not set: required to read Plex. Find it in Plex Web (any item > Get Info > "
                        "View XML: the X-Plex-Token in the URL) and set it in the environment or the dashboard")
    return problems


def env_locked(env: Mapping[str, str]) -> frozenset[str]:
    """Settings fixed by the environment: shown read-only in the UI, never saved to the JSON file."""
    return frozenset(n for n in Settings.model_fields if n in env)
