"""An empty install against the Plex emulator (demo household) and an Unraid-like lab: what a new user has
before setup. Used by the setup API tests and the setup browser walk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from cacherr.bootstrap import Container, build_container
from cacherr.demo.lab import Lab
from cacherr.demo.plex_emulator import PlexEmulator
from cacherr.demo.runner import build_lab
from cacherr.demo.sample import demo_world, media_files


@dataclass
class EmptyInstall:
    root: Path
    lab: Lab
    plex: PlexEmulator
    container: Container

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    def close(self) -> None:
        self.container.close()
        self.plex.stop()
        self.lab.close()


def empty_install(root: Path) -> EmptyInstall:
    """Nothing configured but where plex.tv is (the emulator) and the test-only basics."""
    world = demo_world(scale=0.05)
    lab = build_lab(root, media_files(world))
    plex = PlexEmulator(world).start()
    env = {"PLEX_TV_URL": plex.url, "SCHEDULE": "off", "SESSION_POLL_SECONDS": "0", "PLEX_TIMEOUT": "5",
           "PUID": str(os.getuid()), "PGID": str(os.getgid()), "LOG_LEVEL": "INFO"}
    container = build_container(root / "config", env=env, console_log=False)
    return EmptyInstall(root, lab, plex, container)
