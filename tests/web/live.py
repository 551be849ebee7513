"""The real stack behind the browser tests: the Plex emulator (demo household) over real HTTP, an
Unraid-like lab (array disk with real media files, empty cache), the real container (Plex adapter,
journaled file engine, cycle service, scheduler) and the dashboard served by waitress on 127.0.0.1.

The only test-specific wiring: the file engine copies in 1 MB chunks with a short pause per chunk (a
``Faults`` hook), so that a browser polling once a second can watch a progress bar move.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.bootstrap import Container, build_container
from cacherr.demo.lab import Lab
from cacherr.demo.plex_emulator import PlexEmulator
from cacherr.demo.runner import build_lab, demo_env
from cacherr.demo.sample import demo_world, media_files
from cacherr.fileops import EngineConfig, build_engine
from cacherr.fileops.faults import Faults
from cacherr.web.app import create_app
from cacherr.web.server import ServerHandle, start_in_thread


class SlowCopy(Faults):
    """Pause ``delay`` seconds per copied chunk."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def hit(self, name: str) -> None:
        if name == "copy:chunk":
            time.sleep(self.delay)


@dataclass
class LiveStack:
    root: Path
    lab: Lab
    plex: PlexEmulator
    container: Container
    server: ServerHandle

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.server.stop()
        self.container.close()
        self.plex.stop()
        self.lab.close()


def slow_engine(container: Container, delay: float) -> None:
    """Give the container an engine that copies in 1 MB chunks with a pause (test wiring only)."""
    settings = container.settings
    config = EngineConfig.from_settings(settings, chunk=1 << 20, report_every=1 << 20, settle_seconds=0.0,
                                        recent_seconds=0.0)
    engine = build_engine(SqliteJournal(container.db), container.registry, config, progress=container.progress,
                          faults=SlowCopy(delay))
    # file_engine() rebuilds only when the settings-derived config changes: keep ours until then
    container.__dict__["_file_engine"] = engine
    container.__dict__["_file_engine_config"] = EngineConfig.from_settings(settings)


def start_live(root: Path, *, copy_delay: float = 0.12, **settings: Any) -> LiveStack:
    world = demo_world(scale=1.0)
    lab = build_lab(root, media_files(world))
    plex = PlexEmulator(world).start()
    env = demo_env(root, lab, plex.url, 0, 1.0, None)
    env.update({"SCHEDULE": "off", "SESSION_POLL_SECONDS": "0", "CACHE_LIMIT": "2GB", "PLEX_TIMEOUT": "5",
                **{k: str(v) for k, v in settings.items()}})
    env.pop("WEB_PORT", None)
    editable = {k: env.pop(k) for k in ("NUMBER_EPISODES",)}  # saved, not env-locked: the UI may change it
    editable["NUMBER_EPISODES"] = "1"
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "cacherr_config.json").write_text(json.dumps(editable))
    container = build_container(root / "config", env=env, console_log=False)
    try:
        slow_engine(container, copy_delay)
        container.scheduler().start()
        server = start_in_thread(create_app(container), "127.0.0.1", 0)
    except BaseException:
        container.close()
        plex.stop()
        lab.close()
        raise
    return LiveStack(root, lab, plex, container, server)
