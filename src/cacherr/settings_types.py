"""Value types of the settings: sizes, percentages, schedules, path mappings, and how secrets are shown.

Pure parsing and formatting, no I/O; ``cacherr.settings`` re-exports everything here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.paths import PathMapping
from cacherr.domain.versions import VersionRule
from cacherr.domain.winpath import is_windows

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:I?B)?\s*$", re.IGNORECASE)
_PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_INTERVAL_RE = re.compile(r"^\s*(?:every\s+)?(\d+)\s*([smhd])\s*$", re.IGNORECASE)

SIZE_HINT = "expected a size like 500GB or a percentage like 80%"
TRAKT_LIST_NAMES = tuple(f"{kind}/{name}" for kind in ("movies", "shows")
                         for name in ("trending", "popular", "anticipated"))


def parse_size(text: str) -> int:
    """Parse ``500GB``, ``1.5T``, ``800MiB`` or plain bytes. Units are binary (1 GB = 1024**3 bytes)."""
    m = _SIZE_RE.match(text)
    if not m:
        raise ValueError("expected a size like 500GB, 1.5TB or 800MB")
    try:
        return int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    except (OverflowError, ValueError):
        raise ValueError("that size is too large; expected something like 500GB or 4TB") from None


@dataclass(frozen=True, slots=True)
class SizeLimit:
    """A size in bytes, or a percentage of the cache filesystem; ``None`` for both means no limit."""

    bytes: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> SizeLimit:
        text = (text or "").strip()
        if text in ("", "0", "none", "off"):
            return cls()
        p = _PERCENT_RE.match(text)
        if p:
            value = float(p.group(1))
            if not 0 < value <= 100:
                raise ValueError("a percentage must be between 0% and 100%")
            return cls(percent=value)
        try:
            return cls(bytes=parse_size(text))
        except ValueError:
            raise ValueError(SIZE_HINT) from None

    def resolve(self, total_bytes: int) -> int | None:
        """Bytes this limit allows on a filesystem of ``total_bytes``; ``None`` means unlimited."""
        if self.percent is not None:
            return int(total_bytes * self.percent / 100)
        return self.bytes

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.percent:g}%"
        return "" if self.bytes is None else str(self.bytes)


@dataclass(frozen=True, slots=True)
class Schedule:
    """``SCHEDULE``: a cron expression (5 fields) or an interval like ``6h``, ``every 30m``."""

    cron: str | None = None
    interval_seconds: int | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        text = (text or "").strip()
        if text.lower() in ("", "off", "none", "manual"):
            return cls()
        m = _INTERVAL_RE.match(text)
        if m:
            seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()]
            if seconds < 60:
                raise ValueError("an interval must be at least 1m")
            return cls(interval_seconds=seconds)
        fields = text.split()
        if len(fields) == 5 and all(re.fullmatch(r"[\d*/,\-A-Za-z?]+", f) for f in fields):
            return cls(cron=text)
        raise ValueError("expected a cron expression like '0 */6 * * *' or an interval like 6h or 'every 30m'")


class LibraryRuleSetting(BaseModel):
    """One entry of ``LIBRARY_RULES`` (keyed by the Plex library's title); omitted fields follow the globals."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    episodes: int | None = Field(None, ge=0, le=100)
    watchlist: bool = True
    retention_hours: float | None = Field(None, ge=0, le=8760)
    minutes: int | None = Field(None, ge=0, le=6000)
    version: str | None = None
    skip_4k: bool = False

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        return None if v is None else str(VersionRule.parse(v))

    def to_rule(self) -> LibraryRule:
        return LibraryRule(self.enabled, self.episodes, self.watchlist, self.retention_hours, self.minutes,
                           self.version, self.skip_4k)


def plex_root(v: str, problem: str) -> str:
    """A root as Plex reports it: a POSIX path (trailing / dropped), or for Plex on Windows a drive or UNC path
    kept as given; anything else raises ``problem``."""
    if is_windows(v):
        return v
    if not v.startswith("/"):
        raise ValueError(problem)
    return v.rstrip("/") or "/"


class PathMappingSetting(BaseModel):
    """One entry of ``PATH_MAPPINGS``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = "default"
    plex_path: str
    real_path: str
    cache_path: str

    @field_validator("plex_path")
    @classmethod
    def _plex_root(cls, v: str) -> str:
        """As Plex reports it: a POSIX path, or for Plex on Windows a drive or UNC path (in JSON each
        backslash is written twice; a drive path may use slashes instead: M:/Media)."""
        return plex_root(v, "expected an absolute path as Plex shows it: /data/movies, M:\\Movies or "
                         "\\\\tower\\media")

    @field_validator("real_path", "cache_path")
    @classmethod
    def _real_root(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("expected an absolute path on this machine, starting with /")
        return v

    def to_domain(self) -> PathMapping:
        return PathMapping(self.name, self.plex_path, self.real_path, self.cache_path)


def mask(value: str) -> str:
    """Show that a secret is set without showing it: ``****ab12`` (short values: ``****``)."""
    if not value:
        return ""
    if "://" in value:
        return value.split("://", 1)[0] + "://****"
    return "****" + (value[-4:] if len(value) >= 16 else "")


def raw_text(value: SizeLimit | Schedule) -> str:
    if isinstance(value, SizeLimit):
        return str(value)
    if value.cron:
        return value.cron
    if value.interval_seconds:
        s = value.interval_seconds
        for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
            if s % n == 0:
                return f"{s // n}{unit}"
        return f"{s}s"
    return "off"
