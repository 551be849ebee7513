"""How the dashboard presents each setting: its section on the settings page and a human label.

Kept apart from ``settings`` (the typed tree) so the model does not grow: this is presentation only. The
field order here is the order on the page. A setting missing from ``LABELS`` still shows (under the section
of its group, labelled by its name), but ``tests/test_settings_labels.py`` fails until it gets a label.
"""

from __future__ import annotations

from dataclasses import dataclass

from cacherr.settings import Settings, field_meta

__all__ = ["LABELS", "SECTIONS", "Label", "label_of", "ordered_names"]

SECTIONS: tuple[str, ...] = ("Plex", "Paths", "Caching", "Trakt", "Schedule & quiet hours", "Real time", "Copies",
                             "Notifications", "Web & security", "Advanced")

# The settings model's groups, for a setting that has no label yet.
_GROUP_SECTION = {"Plex": "Plex", "Paths": "Paths", "Caching": "Caching", "Budget": "Caching", "Trakt": "Trakt",
                  "Schedule": "Schedule & quiet hours", "File operations": "Copies",
                  "Notifications": "Notifications", "Web": "Web & security", "System": "Advanced"}


@dataclass(frozen=True, slots=True)
class Label:
    section: str
    label: str


def _s(section: str, *pairs: tuple[str, str]) -> dict[str, Label]:
    assert section in SECTIONS, section
    return {name: Label(section, label) for name, label in pairs}


LABELS: dict[str, Label] = {
    **_s("Plex",
         ("PLEX_URL", "Plex server address"),
         ("PLEX_TOKEN", "Plex token")),
    **_s("Paths",
         ("PLEX_SOURCE", "Media folder as Plex sees it"),
         ("REAL_SOURCE", "Array folder"),
         ("CACHE_DESTINATION", "Cache folder"),
         ("PATH_MAPPINGS", "Path mappings (several libraries)"),
         ("MOVER_EXCLUDE_FILE", "Mover exclude list file")),
    **_s("Caching",
         ("TEST_MODE", "Test mode (plan only, never touch a file)"),
         ("NUMBER_EPISODES", "Episodes ahead"),
         ("EPISODES_AHEAD_MINUTES", "Minutes of episodes ahead (instead of a count)"),
         ("FRESH_DOWNLOAD_DAYS", "Keep fresh downloads of watched shows (days)"),
         ("CACHE_COLLECTION_NEXT", "Cache the next film of a collection"),
         ("DAYS_TO_MONITOR", "On Deck: days to look back"),
         ("USERS_TOGGLE", "Include home and shared users"),
         ("SKIP_ONDECK_USERS", "Users whose On Deck is ignored"),
         ("WATCHLIST_TOGGLE", "Cache watchlists"),
         ("SKIP_WATCHLIST_USERS", "Users whose watchlist is ignored"),
         ("WATCHLIST_EPISODES", "Episodes of a watchlisted show"),
         ("PLEX_FRIENDS_WATCHLIST_RSS", "Friends' watchlists RSS feed"),
         ("MEDIA_VERSION", "Version to cache"),
         ("WATCHED_MOVE", "Give back watched media"),
         ("CACHE_RETENTION_HOURS", "Keep on the cache after unwanted (hours)"),
         ("CACHE_LIMIT", "Cache budget"),
         ("MIN_FREE_SPACE", "Always keep free on the cache"),
         ("EXIT_IF_ACTIVE_SESSION", "Skip cycles while anyone is playing"),
         ("LIBRARY_RULES", "Per-library rules")),
    **_s("Trakt",
         ("TRAKT_CLIENT_ID", "Trakt client id"),
         ("TRAKT_LISTS", "Trakt lists"),
         ("TRAKT_COUNT", "Entries per list"),
         ("TRAKT_EPISODES", "Episodes of a Trakt show"),
         ("TRAKT_MAX_BYTES", "Most space for Trakt items"),
         ("TRAKT_CACHE_HOURS", "Re-fetch lists every (hours)")),
    **_s("Schedule & quiet hours",
         ("SCHEDULE", "Cycle schedule"),
         ("QUIET_HOURS", "Quiet hours"),
         ("TZ", "Time zone")),
    **_s("Real time",
         ("SESSION_POLL_SECONDS", "Poll playing sessions every (seconds)"),
         ("WEBHOOK_SECRET", "Plex webhook secret"),
         ("REALTIME_PLAYING_MOVIE_SECONDS", "Cache a playing movie after (seconds)"),
         ("REALTIME_PLAYING_EPISODE_SECONDS", "Cache a playing episode after (seconds)"),
         ("QUIET_HOURS_REALTIME", "Real time inside quiet hours")),
    **_s("Copies",
         ("COPY_TO_CACHE", "Copy (keep the array file) instead of move"),
         ("VERIFY", "Verify copies by"),
         ("HARDLINKS", "Files with hard links"),
         ("CACHE_ARTWORK", "Carry artwork and NFO files"),
         ("REMOVE_EMPTY_FOLDERS", "Remove emptied folders"),
         ("MAX_CONCURRENT_MOVES_CACHE", "Parallel copies to the cache"),
         ("MAX_CONCURRENT_MOVES_ARRAY", "Parallel copies back to the array"),
         ("COPY_IO_PRIORITY", "Copy I/O priority"),
         ("COPY_BANDWIDTH_LIMIT", "Copy speed limit (MB/s)"),
         ("USE_SYMLINKS", "Symlink mode (non-Unraid)")),
    **_s("Notifications",
         ("NOTIFY_URLS", "Notification URLs (Apprise)"),
         ("NOTIFY_LEVEL", "What to notify"),
         ("NOTIFY_TIMEOUT", "Notification timeout (seconds)"),
         ("UNRAID_NOTIFY_SCRIPT", "Unraid notify script")),
    **_s("Web & security",
         ("WEB_USERNAME", "Dashboard user name"),
         ("WEB_PASSWORD", "Dashboard password"),
         ("API_KEY", "API key"),
         ("WEB_PORT", "Web port"),
         ("WEB_ALLOWED_HOSTS", "Allowed host names"),
         ("WEB_TRUSTED_PROXIES", "Trusted reverse proxies")),
    **_s("Advanced",
         ("LOG_LEVEL", "Log level"),
         ("PUID", "File owner (user id)"),
         ("PGID", "File group (group id)"),
         ("UMASK", "umask for new files"),
         ("PLEX_TIMEOUT", "Plex request timeout (seconds)"),
         ("MOVER_PID_FILE", "Unraid mover pid file"),
         ("WEB_HOST", "Listen address"),
         ("PLEX_TV_URL", "plex.tv address override"),
         ("TRAKT_URL", "Trakt API address")),
}


def label_of(name: str) -> Label:
    """The section and label of one setting (a fallback from its group for a setting not labelled yet)."""
    found = LABELS.get(name)
    if found is not None:
        return found
    section = _GROUP_SECTION.get(str(field_meta(name).get("group", "")), "Advanced")
    return Label(section, name.replace("_", " ").capitalize())


def ordered_names() -> list[str]:
    """Every setting, section by section in page order; labelled ones in table order, then the rest."""
    known = [n for n in LABELS if n in Settings.model_fields]
    rest = [n for n in Settings.model_fields if n not in LABELS]
    rank = {s: i for i, s in enumerate(SECTIONS)}
    order = {n: i for i, n in enumerate(known + rest)}
    return sorted(known + rest, key=lambda n: (rank.get(label_of(n).section, len(SECTIONS)), order[n]))
