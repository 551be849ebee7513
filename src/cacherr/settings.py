"""The typed settings tree.

One flat model whose field names are the environment names Unraid users already know from the
PlexCache family (``PLEX_URL``, ``CACHE_LIMIT``, ...). Each field carries its group and a description;
``docs/configuration.md`` and ``env.example`` are generated from them (``scripts/gen-docs``), and a
test fails when either is stale.

Precedence: environment variables > ``$CONFIG_DIR/cacherr_config.json`` (saved by the web UI) >
defaults. Loading, saving and reloading live in ``settings_store``; this module holds no I/O.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from cacherr.domain.errors import ConfigError
from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.paths import PathMapping
from cacherr.domain.quiet_hours import parse_windows
from cacherr.domain.versions import VersionRule
from cacherr.settings_messages import plain_message
from cacherr.settings_types import (
    SIZE_HINT,
    TRAKT_LIST_NAMES,
    LibraryRuleSetting,
    PathMappingSetting,
    Schedule,
    SizeLimit,
    mask,
    parse_size,
    plex_root,
    raw_text,
)

__all__ = ["SIZE_HINT", "TRAKT_LIST_NAMES", "PathMappingSetting", "Schedule", "Settings", "SizeLimit", "build_settings",
           "display_value", "env_locked", "field_meta", "mask", "missing_for_plex", "parse_size", "raw_text",
           "serialise"]

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-~.]{8,128}$")


def _group(name: str, *, secret: bool = False, advanced: bool = False, restart: bool = False) -> dict[str, Any]:
    return {"group": name, "secret": secret, "advanced": advanced, "restart": restart}


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [v.strip() for v in text.split(",") if v.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]

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


class Settings(BaseSettings):
    """Every Cacherr setting. Field name = environment variable name."""

    model_config = SettingsConfigDict(
        case_sensitive=True, extra="forbid", validate_default=True, frozen=True, env_ignore_empty=False
    )

    # --- Plex -------------------------------------------------------------------------------
    PLEX_URL: str = Field("http://localhost:32400", description="URL of your Plex Media Server, as Cacherr reaches it.",
                          json_schema_extra=_group("Plex"))
    PLEX_TOKEN: SecretStr = Field(SecretStr(""), description="The server owner's X-Plex-Token. Required to run cycles.",
                                  json_schema_extra=_group("Plex", secret=True))
    PLEX_TIMEOUT: float = Field(15.0, gt=0, le=300, description="Seconds to wait for one Plex request.",
                                json_schema_extra=_group("Plex", advanced=True))
    PLEX_FULL_REFRESH_HOURS: float = Field(
        24.0, ge=1, le=24 * 30, description="Hours between full reads of Plex. Other cycles ask Plex only for what "
        "changed (play history, new or updated items, On Deck, sessions); a full read re-reads every cached item "
        "and every user's watched state, and also happens after a read that failed or was incomplete.",
        json_schema_extra=_group("Plex", advanced=True))
    PLEX_TV_URL: str = Field("", description="Advanced: send plex.tv/discover calls to this URL instead (the demo's "
                             "emulator). Leave empty in production.", json_schema_extra=_group("Plex", advanced=True))

    # --- Paths ------------------------------------------------------------------------------
    PLEX_SOURCE: str = Field("/plexsource", description="Root of your media as Plex sees it (inside the Plex "
                             "container), e.g. /data; for Plex on Windows a drive or share path such as M:\\Media or "
                             "\\\\tower\\media.", json_schema_extra=_group("Paths"))
    REAL_SOURCE: str = Field("/mediasource", description="The same root on the array as Cacherr sees it. On Unraid "
                             "mount /mnt/user0/<share> or /mnt/diskN/<share> here, never /mnt/user.",
                             json_schema_extra=_group("Paths"))
    CACHE_DESTINATION: str = Field("/cache", description="The same root on the cache pool, e.g. /mnt/cache/<share> "
                                   "mounted at /cache.", json_schema_extra=_group("Paths"))
    PATH_MAPPINGS: list[PathMappingSetting] = Field(
        default_factory=list,
        description='Several libraries: a JSON list of {"name","plex_path","real_path","cache_path"}. '
        "When set it replaces PLEX_SOURCE/REAL_SOURCE/CACHE_DESTINATION.",
        json_schema_extra=_group("Paths"))
    MOVER_EXCLUDE_FILE: str = Field("", description="Mover Tuning exclude list to keep in sync (absolute path), "
                                    "e.g. /config/mover_exclude.txt. Empty: not written.",
                                    json_schema_extra=_group("Paths"))

    # --- What to cache ----------------------------------------------------------------------
    NUMBER_EPISODES: int = Field(5, ge=0, le=100, description="Next episodes to cache after each On Deck episode.",
                                 json_schema_extra=_group("Caching"))
    DAYS_TO_MONITOR: int = Field(99, ge=1, le=3650, description="Only On Deck items watched in the last N days.",
                                 json_schema_extra=_group("Caching"))
    USERS_TOGGLE: bool = Field(True, description="Include every home and shared user, not only the owner.",
                               json_schema_extra=_group("Caching"))
    SKIP_ONDECK_USERS: CsvList = Field(default_factory=list, description="Users whose On Deck is ignored "
                                       "(comma-separated usernames).", json_schema_extra=_group("Caching"))
    SKIP_WATCHLIST_USERS: CsvList = Field(default_factory=list, description="Users whose watchlist is ignored "
                                          "(comma-separated).", json_schema_extra=_group("Caching"))
    EPISODES_AHEAD_MINUTES: int = Field(0, ge=0, le=6000, description="Instead of NUMBER_EPISODES, keep at "
                                        "least this many minutes of upcoming episodes per show (at least one "
                                        "episode): 120 caches five 24-minute anime episodes but two hour-long "
                                        "dramas. 0: count episodes (NUMBER_EPISODES).",
                                        json_schema_extra=_group("Caching"))
    FRESH_DOWNLOAD_DAYS: int = Field(7, ge=0, le=365, description="A new episode or movie that Sonarr/Radarr put "
                                     "on the cache (added to Plex in the last N days) of a show someone is "
                                     "watching stays on the cache this many days, kept from the mover (no copy is "
                                     "made); other fresh downloads are left to the mover. Once watched or after "
                                     "these days it follows the normal rules: kept CACHE_RETENTION_HOURS more "
                                     "(evicted first if room is needed), then given back. 0: off (every file "
                                     "found on the cache is tracked as pre-existing until watched).",
                                     json_schema_extra=_group("Caching"))
    CACHE_COLLECTION_NEXT: bool = Field(False, description="When someone is watching or has just finished a "
                                        "movie of a Plex collection, also cache the next unwatched film of that "
                                        "collection (the collection's order, else by year); at each cycle and "
                                        "within seconds of a movie's play start (real time).",
                                        json_schema_extra=_group("Caching"))
    WATCHLIST_TOGGLE: bool = Field(True, description="Cache items on users' watchlists.",
                                   json_schema_extra=_group("Caching"))
    PLEX_FRIENDS_WATCHLIST_RSS: str = Field(
        "", description="Friends' watchlists: the RSS feed address plex.tv gives the server owner for \"Friends' "
        "Watchlists\" (plex.tv > Watchlist > RSS feeds), e.g. https://discover.provider.plex.tv/rss/abc123. "
        "Empty: friends' watchlists are not read (a friend's server token cannot read plex.tv).",
        json_schema_extra=_group("Caching"))
    WATCHLIST_EPISODES: int = Field(1, ge=0, le=100, description="For a show on a watchlist, how many first "
                                    "unwatched episodes to cache.", json_schema_extra=_group("Caching"))
    MEDIA_VERSION: str = Field("highest", description="An item with several versions (4K and 1080p, or an "
                               "extended cut) is cached as one version with all its parts: the one being played, "
                               "else one already on the cache, else this choice: highest (resolution), 1080p or "
                               "highest:1080p (the highest at or below 1080p), smallest, largest, or all (every "
                               "version).", json_schema_extra=_group("Caching"))
    WATCHED_MOVE: bool = Field(True, description="Give media back to the array once every interested user "
                               "has watched it.", json_schema_extra=_group("Caching"))
    CACHE_RETENTION_HOURS: int = Field(12, ge=0, le=24 * 365, description="Keep media on the cache this many hours "
                                       "after it left every wanted list.", json_schema_extra=_group("Caching"))
    EXIT_IF_ACTIVE_SESSION: bool = Field(False, description="Skip the whole cycle while anyone is playing.",
                                         json_schema_extra=_group("Caching"))
    SESSION_POLL_SECONDS: int = Field(30, ge=0, le=3600, description="Poll Plex sessions this often to cache next "
                                      "episodes when playback starts (0 = off).",
                                      json_schema_extra=_group("Caching"))

    # --- Budget -----------------------------------------------------------------------------
    CACHE_LIMIT: Annotated[SizeLimit, NoDecode] = Field(
        SizeLimit(), description="Most Cacherr may hold on the cache: a size (500GB) or a percentage of the "
        "cache drive (80%). Empty: no limit.", json_schema_extra=_group("Budget"))
    MIN_FREE_SPACE: Annotated[SizeLimit, NoDecode] = Field(
        SizeLimit(percent=10.0), description="Always leave this much free on the cache (size or percentage), so "
        "downloads and appdata never find the pool full. 0: no reserve.",
        json_schema_extra=_group("Budget"))

    # --- File operations --------------------------------------------------------------------
    COPY_TO_CACHE: bool = Field(True, description="true: copy to the cache and keep the array copy (safest); "
                                "false: move.", json_schema_extra=_group("File operations"))
    USE_SYMLINKS: bool = Field(False, description="Non-Unraid setups: replace the original with a symlink to the "
                               "cached copy.", json_schema_extra=_group("File operations"))
    VERIFY: Literal["size", "hash"] = Field("size", description="Verify copies by size, or by xxhash of the "
                                            "content (slower, catches corruption).",
                                            json_schema_extra=_group("File operations"))
    MAX_CONCURRENT_MOVES_CACHE: int = Field(2, ge=1, le=16, description="Parallel transfers to the cache.",
                                            json_schema_extra=_group("File operations"))
    MAX_CONCURRENT_MOVES_ARRAY: int = Field(1, ge=1, le=16, description="Parallel transfers back to the array.",
                                            json_schema_extra=_group("File operations"))
    HARDLINKS: Literal["skip", "copy"] = Field("skip", description="Files with hard links (seeding torrents, "
                                               "*arr imports): skip them, or copy and keep the array link.",
                                               json_schema_extra=_group("File operations"))
    CACHE_ARTWORK: bool = Field(False, description="Carry artwork and NFO files with each video (Name.nfo, "
                                "Name-thumb.jpg; poster.jpg, fanart.jpg, movie.nfo in a movie's own folder): "
                                "clients browsing then wake no array disk.",
                                json_schema_extra=_group("File operations"))
    REMOVE_EMPTY_FOLDERS: bool = Field(True, description="Remove folders a move left empty (never one that holds "
                                       "anything).", json_schema_extra=_group("File operations"))
    COPY_IO_PRIORITY: Literal["idle", "normal"] = Field(
        "idle", description="I/O priority of copies: idle (the disk serves Plex and everything else first, so a "
        "stream read from the array is never starved; ionice class idle on the copy thread, honoured by the BFQ "
        "disk scheduler, and nice 19 so Plex and the dashboard get the CPU first) or normal.",
        json_schema_extra=_group("File operations", advanced=True))
    COPY_BANDWIDTH_LIMIT: float = Field(0.0, ge=0, le=100_000, description="Most MB/s one copy may read and "
                                        "write (1 MB = 1,000,000 bytes). 0: no limit.",
                                        json_schema_extra=_group("File operations", advanced=True))
    TEST_MODE: bool = Field(False, description="Plan and show, but never touch a file.",
                            json_schema_extra=_group("File operations"))

    LIBRARY_RULES: dict[str, LibraryRuleSetting] = Field(
        default_factory=dict, description='Per-library rules, a JSON object keyed by the Plex library title: '
        '{"Movies": {"watchlist": false, "retention_hours": 48}, "Anime": {"episodes": 12}, "4K": {"enabled": false}}. '
        "Fields: enabled, episodes (next episodes ahead), minutes (EPISODES_AHEAD_MINUTES), watchlist, "
        "retention_hours, version (MEDIA_VERSION for this library), skip_4k (never cache a 4K version); omitted "
        "ones follow the globals.",
        json_schema_extra=_group("Caching"))

    # --- Schedule ---------------------------------------------------------------------------
    SCHEDULE: Annotated[Schedule, NoDecode] = Field(
        Schedule(interval_seconds=6 * 3600), description="When cycles run: cron ('0 */6 * * *') or an interval "
        "('6h', 'every 30m'); 'off' for manual only.", json_schema_extra=_group("Schedule"))
    REALTIME_PLAYING_MOVIE_SECONDS: int = Field(0, ge=0, le=86400, description="Copy a movie being played to "
                                                "the cache after this many seconds of playback (e.g. 60; 0: off). "
                                                "A copy: the stream keeps reading the array file undisturbed.",
                                                json_schema_extra=_group("Schedule"))
    REALTIME_PLAYING_EPISODE_SECONDS: int = Field(0, ge=0, le=86400, description="The same for an episode being "
                                                  "played (e.g. 30; 0: off).", json_schema_extra=_group("Schedule"))
    QUIET_HOURS: CsvList = Field(default_factory=list, description="Daily windows with no scheduled cycle, "
                                 "comma-separated, in TZ: e.g. 18:00-23:00 (23:00-06:00 wraps past midnight). "
                                 "Empty: none.", json_schema_extra=_group("Schedule"))
    QUIET_HOURS_REALTIME: bool = Field(False, description="Allow real-time caching (on play) inside quiet hours.",
                                       json_schema_extra=_group("Schedule"))
    MOVER_PID_FILE: str = Field("/var/run/mover.pid", description="Unraid mover's pid file: while it exists (and "
                                "the process lives, where visible) cycles are skipped, never fighting the mover. "
                                "Seen only where the host's /var/run is visible (a native run); see docs/planning.md "
                                "for Docker. Empty: no check.",
                                json_schema_extra=_group("Schedule", advanced=True))

    # --- Web --------------------------------------------------------------------------------
    WEB_PORT: int = Field(5445, ge=1, le=65535, description="Port of the dashboard and API.",
                          json_schema_extra=_group("Web", restart=True))
    WEB_HOST: str = Field("0.0.0.0", description="Address the web server listens on.",  # noqa: S104
                          json_schema_extra=_group("Web", advanced=True, restart=True))
    API_KEY: SecretStr = Field(SecretStr(""), description="When set, API calls need header X-Api-Key.",
                               json_schema_extra=_group("Web", secret=True))
    WEB_USERNAME: str = Field("", description="Dashboard login name. With WEB_PASSWORD set, login is required.",
                              json_schema_extra=_group("Web"))
    WEB_PASSWORD: SecretStr = Field(SecretStr(""), description="Dashboard password (stored hashed when saved from "
                                    "the web).", json_schema_extra=_group("Web", secret=True))
    WEBHOOK_SECRET: SecretStr = Field(SecretStr(""), description="Secret the Plex webhook URL must carry "
                                      "(?secret=...). Empty: the webhook is disabled.",
                                      json_schema_extra=_group("Web", secret=True))
    WEB_TRUSTED_PROXIES: CsvList = Field(
        default_factory=list,
        description="Reverse proxies (addresses or networks, comma-separated, e.g. 172.17.0.1 for a proxy "
        "container) whose X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Prefix headers are believed; from "
        "any other client they are ignored. Empty (the default): no proxy is trusted.",
        json_schema_extra=_group("Web", advanced=True))
    WEB_ALLOWED_HOSTS: CsvList = Field(
        default_factory=list, description="While sign-in is off, only requests whose Host is an IP address, a "
        "one-word name (tower), localhost or a name listed here (comma-separated, e.g. cacherr.home.lan) are "
        "answered: this stops DNS rebinding from other web pages. Not needed once sign-in is on.",
        json_schema_extra=_group("Web", advanced=True))

    # --- Notifications and Trakt -------------------------------------------------------------
    NOTIFY_URLS: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Apprise URLs, comma-separated (discord://..., ntfy://...).",
        json_schema_extra=_group("Notifications", secret=True))
    NOTIFY_LEVEL: Literal["summary", "errors", "every"] = Field(
        "summary", description="summary: one message per cycle; errors: only failures; every: each operation.",
        json_schema_extra=_group("Notifications"))
    NOTIFY_TIMEOUT: float = Field(10.0, gt=0, le=120, description="Seconds a cycle waits for one notification "
                                  "before giving up on it (the failure is logged and shown).",
                                  json_schema_extra=_group("Notifications", advanced=True))
    UNRAID_NOTIFY_SCRIPT: str = Field("/usr/local/emhttp/webGui/scripts/notify", description="Unraid's notify "
                                      "script; used when it exists in the container (mount /usr/local/emhttp "
                                      "read-only and /tmp/notifications). Empty: off.",
                                      json_schema_extra=_group("Notifications", advanced=True))
    TRAKT_CLIENT_ID: SecretStr = Field(SecretStr(""), description="Trakt API client id; enables Trakt lists.",
                                       json_schema_extra=_group("Trakt", secret=True))
    TRAKT_LISTS: CsvList = Field(["movies/trending"], description="Trakt lists to follow, comma-separated: "
                                 "movies/trending, movies/popular, movies/anticipated, shows/trending, ...",
                                 json_schema_extra=_group("Trakt"))
    TRAKT_COUNT: int = Field(10, ge=1, le=100, description="How many entries of each Trakt list to consider.",
                             json_schema_extra=_group("Trakt"))
    TRAKT_EPISODES: int = Field(1, ge=0, le=20, description="For a Trakt show in your library, how many first "
                                "episodes to cache.", json_schema_extra=_group("Trakt"))
    TRAKT_MAX_BYTES: Annotated[SizeLimit, NoDecode] = Field(
        SizeLimit(), description="Most space Trakt items may take on the cache (size or percentage). Empty: "
        "only CACHE_LIMIT applies.", json_schema_extra=_group("Trakt"))
    TRAKT_CACHE_HOURS: float = Field(6.0, ge=0, le=168, description="Re-fetch Trakt lists at most this often.",
                                     json_schema_extra=_group("Trakt"))
    TRAKT_URL: str = Field("https://api.trakt.tv", description="Advanced: Trakt API base URL (the demo points it "
                           "at its emulator).", json_schema_extra=_group("Trakt", advanced=True))

    # --- System -----------------------------------------------------------------------------
    PUID: int = Field(99, ge=0, description="Owner of files and folders Cacherr creates (Unraid: 99 = nobody).",
                      json_schema_extra=_group("System", restart=True))
    PGID: int = Field(100, ge=0, description="Group of files and folders Cacherr creates (Unraid: 100 = users).",
                      json_schema_extra=_group("System", restart=True))
    UMASK: str = Field("000", pattern=r"^0?[0-7]{3}$", description="umask for new files (octal, e.g. 000 or 002).",
                       json_schema_extra=_group("System", restart=True))
    TZ: str = Field("Etc/UTC", description="Time zone for schedules and logs.",
                    json_schema_extra=_group("System", restart=True))
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log detail: DEBUG, INFO, WARNING or ERROR.", json_schema_extra=_group("System"))

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


def field_meta(name: str) -> dict[str, Any]:
    extra = Settings.model_fields[name].json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


FULLY_MASKED = frozenset({"WEB_PASSWORD"})
SECRET_FIELDS: frozenset[str] = frozenset(n for n in Settings.model_fields if field_meta(n).get("secret"))


def display_value(settings: Settings, name: str) -> Any:
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


def serialise(settings: Settings, name: str) -> Any:
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
