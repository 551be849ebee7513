"""The checks a setting passes beyond its type, the same at start-up and when saved from the web.

- Environment-only settings (docs/security.md): a host that receives a secret (``PLEX_TV_URL``,
  ``TRAKT_URL``), a program Cacherr runs (``UNRAID_NOTIFY_SCRIPT``), and a file Cacherr writes outside
  ``CONFIG_DIR`` (``MOVER_EXCLUDE_FILE`` anywhere else) can never be set from the web; when found in the
  saved JSON file they are ignored, with a warning.
- ``MOVER_EXCLUDE_FILE`` must be a file Cacherr created (see ``fileops.exclude.check_target``), outside
  the media folders and never one of Cacherr's own files.
- ``WEB_PASSWORD`` needs ``WEB_USERNAME`` (else sign-in would silently stay off).
- ``PATH_MAPPINGS`` from the web may not replace paths the environment fixes.
- While sign-in is off, ``PLEX_URL`` moves to another server only together with the Plex token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cacherr.fileops.exclude import check_target
from cacherr.settings import Settings

log = logging.getLogger(__name__)

ENV_ONLY = frozenset({"PLEX_TV_URL", "TRAKT_URL", "UNRAID_NOTIFY_SCRIPT"})
ENV_ONLY_WHY = ("can only be set in the container's environment: it chooses a host that receives a secret or a "
                "program Cacherr runs (docs/security.md)")
OUTSIDE_CONFIG_WHY = ("from the web it may only name a file inside CONFIG_DIR ({config_dir}); a file elsewhere "
                      "can only be set in the container's environment (docs/security.md)")
OWN_FILES = ("cacherr_config.json", "cacherr.db", "cycle.lock", ".web_")
SINGLE_PATHS = ("PLEX_SOURCE", "REAL_SOURCE", "CACHE_DESTINATION")


def _inside(path: str, folder: Path) -> bool:
    root = os.path.normpath(str(folder))
    norm = os.path.normpath(path)
    return norm.startswith(root.rstrip("/") + "/")


def web_refusal(name: str, value: Any, config_dir: Path) -> str | None:
    """Why ``name`` may not take ``value`` from the web (or the saved file); None when it may."""
    if name in ENV_ONLY:
        return ENV_ONLY_WHY
    if name == "MOVER_EXCLUDE_FILE" and isinstance(value, str) and value and not _inside(value, config_dir):
        return OUTSIDE_CONFIG_WHY.format(config_dir=config_dir)
    return None


def drop_env_only(saved: Mapping[str, Any], config_dir: Path) -> dict[str, Any]:
    """The saved JSON without the values the web may not set (each dropped one is logged)."""
    out: dict[str, Any] = {}
    for name, value in saved.items():
        why = web_refusal(name, value, config_dir)
        if why is None:
            out[name] = value
        else:
            log.warning("ignoring %s from the saved settings file: %s", name, why)
    return out


def media_roots(settings: Settings) -> list[str]:
    return [p for m in settings.path_mappings() for p in (m.plex_path, m.array_path, m.cache_path)]


def exclude_problems(settings: Settings, config_dir: Path) -> list[str]:
    path = settings.MOVER_EXCLUDE_FILE
    if not path:
        return []
    name = os.path.basename(path)
    if os.path.normpath(os.path.dirname(path)) == os.path.normpath(str(config_dir)) and name.startswith(OWN_FILES):
        return [f"MOVER_EXCLUDE_FILE={path}: is one of Cacherr's own files; use e.g. "
                f"{Path(config_dir) / 'mover_exclude.txt'}"]
    return [f"MOVER_EXCLUDE_FILE={path}: {p}" for p in check_target(path, media_roots(settings))]


def startup_problems(settings: Settings, config_dir: Path) -> list[str]:
    """What stops a start (one line each): checked again for every save from the web."""
    problems = exclude_problems(settings, config_dir)
    if settings.WEB_PASSWORD.get_secret_value() and not settings.WEB_USERNAME:
        problems.append("WEB_PASSWORD: is set but WEB_USERNAME is empty, so sign-in would stay off; set "
                        "WEB_USERNAME too (or clear WEB_PASSWORD)")
    return problems


def token_redirect_problem(before: Settings, new: Settings, changes: Mapping[str, Any]) -> str | None:
    """While sign-in is off, moving ``PLEX_URL`` to another server needs the Plex token typed again in the same
    save: otherwise anyone on the LAN could send the saved token to a host of their own."""
    signed = bool(before.API_KEY.get_secret_value()) or before.web_auth_enabled
    if signed or "PLEX_URL" not in changes or "PLEX_TOKEN" in changes or new.PLEX_URL == before.PLEX_URL:
        return None
    if not before.PLEX_TOKEN.get_secret_value():
        return None
    return ("PLEX_URL: while sign-in is off, a new Plex server address must be saved together with the Plex "
            "token (type the token again), so that the saved token is never sent to a server someone else chose")


def save_problems(new: Settings, changes: Mapping[str, Any], locked: frozenset[str], config_dir: Path,
                  before: Settings | None = None) -> list[str]:
    """Every problem of a save from the web: the start-up checks, env-only settings, env-locked paths."""
    problems = [f"{k}: {why}" for k, v in changes.items() if (why := web_refusal(k, v, config_dir))]
    redirect = token_redirect_problem(before, new, changes) if before is not None else None
    if redirect:
        problems.append(redirect)
    fixed = sorted(n for n in SINGLE_PATHS if n in locked)
    if "PATH_MAPPINGS" in changes and new.PATH_MAPPINGS and fixed:
        problems.append(f"PATH_MAPPINGS: would replace {', '.join(fixed)}, which the environment sets; set "
                        "PATH_MAPPINGS in the container's environment instead (or remove those variables)")
    return problems + startup_problems(new, config_dir)
