"""Loading, saving and reloading settings: env > ``$CONFIG_DIR/cacherr_config.json`` > defaults.

``SettingsStore`` holds the current ``Settings``; ``save`` validates a change, writes the JSON file
atomically (temporary file, fsync, rename, fsync folder) without the env-locked fields, and applies
it at once: subscribers (scheduler, adapters) are told, no restart needed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cacherr.domain.errors import CacherrError, ConfigError
from cacherr.settings import Settings, build_settings, env_locked, serialise
from cacherr.settings_checks import drop_env_only, save_problems, startup_problems

CONFIG_FILE = "cacherr_config.json"
log = logging.getLogger(__name__)


def default_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``CONFIG_DIR``, else ``/config`` inside Docker, else ``~/.config/cacherr``."""
    env = os.environ if env is None else env
    if env.get("CONFIG_DIR"):
        return Path(env["CONFIG_DIR"])
    if Path("/.dockerenv").exists() or env.get("CACHERR_IN_DOCKER") == "1":
        return Path("/config")
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "cacherr"


MAX_CONFIG_BYTES = 4 * 1024 * 1024


def read_json_file(path: Path) -> dict[str, Any]:
    """The saved settings; any problem with the file is one ``ConfigError`` line, never a traceback."""
    if not path.exists():
        return {}
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError([f"{path}: larger than {MAX_CONFIG_BYTES} bytes, not a settings file; fix or "
                               "remove it"])
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                           "fix or remove the file"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}); fix or remove the file"]) from None
    except RecursionError:
        raise ConfigError([f"{path}: nested too deeply to be settings; fix or remove the file"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a JSON object of settings, got {type(data).__name__}"])
    return data


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON so that a crash leaves either the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # it may hold secrets
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class SettingsNotWritten(CacherrError):
    """The settings file could not be written (CONFIG_DIR full, file immutable): nothing changed."""


class SettingsStore:
    """The current settings, and the one way to change them at run time."""

    def __init__(self, config_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.config_dir = Path(config_dir)
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Settings], None]] = []
        self._settings = self._load()

    @property
    def path(self) -> Path:
        return self.config_dir / CONFIG_FILE

    @property
    def current(self) -> Settings:
        return self._settings

    @property
    def locked(self) -> frozenset[str]:
        return env_locked(self.env)

    def _saved(self) -> dict[str, Any]:
        """The saved JSON minus what the web may not set (the environment's alone)."""
        return drop_env_only(read_json_file(self.path), self.config_dir)

    def _load(self) -> Settings:
        settings = build_settings(self._saved(), self.env)
        problems = startup_problems(settings, self.config_dir)
        if problems:
            raise ConfigError(problems)
        return settings

    def source_of(self, name: str) -> str:
        """Where a setting's value comes from: ``env``, ``file`` or ``default``."""
        if name in self.locked:
            return "env"
        try:
            saved = read_json_file(self.path)
        except ConfigError:
            saved = {}
        return "file" if name in saved else "default"

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        self._listeners.append(listener)

    def reload(self) -> Settings:
        """Re-read the JSON file and apply it."""
        with self._lock:
            self._settings = self._load()
            self._notify()
            return self._settings

    def save(self, changes: Mapping[str, Any]) -> Settings:
        """Validate ``changes`` over the current saved values, write them, apply them.

        Raises ``ConfigError`` (one line per problem, nothing written) on an invalid value, an unknown
        name, or a field locked by the environment.
        """
        with self._lock:
            problems = [f"{k}: set by an environment variable; change it in the container settings"
                        for k in changes if k in self.locked]
            if problems:
                raise ConfigError(problems)
            saved = self._saved()
            merged = {**saved, **changes}
            new = build_settings(merged, self.env)  # raises ConfigError, nothing written
            problems = save_problems(new, changes, self.locked, self.config_dir, before=self._settings)
            if problems:
                raise ConfigError(problems)
            to_write = {k: serialise(new, k) for k in merged if k not in self.locked}
            try:
                write_json_atomic(self.path, to_write)
            except OSError as exc:
                raise SettingsNotWritten(f"the settings could not be saved to {self.path} ({exc.strerror or exc}); "
                                         "nothing was changed. Free space in CONFIG_DIR or make the file "
                                         "writable") from None
            self._settings = new
            self._notify()
            log.info("settings saved: %s", ", ".join(sorted(changes)) or "nothing changed")
            return new

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener(self._settings)
            except Exception:
                log.exception("a settings listener failed")
