"""The settings' fields: every Cacherr setting with its type, default, bounds, group and description.

``settings.Settings`` adds the validators, the sources (environment > saved JSON > defaults) and the derived
values; import it from there. ``docs/configuration.md`` and ``env.example`` are generated from these fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cacherr.settings_types import LibraryRuleSetting, PathMappingSetting, Schedule, SizeLimit

CsvList = Annotated[list[str], NoDecode]


def _group(name: str, *, secret: bool = False, advanced: bool = False, restart: bool = False) -> dict[str, Any]:
    return {"group": name, "secret": secret, "advanced": advanced, "restart": restart}


class SettingsFields(BaseSettings):
    """The fields of ``settings.Settings`` (field name = environment variable name), in documentation order."""

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


def field_meta(name: str) -> dict[str, Any]:
    """A field's group and flags (secret, advanced, restart)."""
    extra = SettingsFields.model_fields[name].json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


FULLY_MASKED = frozenset({"WEB_PASSWORD"})
SECRET_FIELDS: frozenset[str] = frozenset(n for n in SettingsFields.model_fields if field_meta(n).get("secret"))
