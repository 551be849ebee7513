"""``cacherr demo``: Cacherr running against an emulated Plex, on a sandbox array and cache.

1. lays out an Unraid-like lab in a folder (``--dir``, or a temporary one removed at the end): an array
   disk holding the demo world's media files (real files), an empty cache, and the config folder;
2. starts the Plex emulator (PMS and plex.tv) with the curated world of ``sample.py``, and the Trakt
   emulator;
3. writes nothing but environment variables: Plex URL and token, plex.tv and Trakt pointed at the
   emulators, the lab's paths, a one-minute schedule, a small cache budget;
4. runs ``cacherr serve`` (dashboard, API, scheduler) as a child process, waits for ``/health``, starts
   a first cycle and prints the dashboard's address;
5. makes time pass: every ``tick`` seconds someone in the household starts or finishes an episode or
   changes a watchlist, so the dashboard shows media being cached and given back;
6. stops everything cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import BinaryIO

import requests

from cacherr.demo.lab import Lab, make_lab, write_media
from cacherr.demo.plex_emulator import PlexEmulator
from cacherr.demo.sample import PLEX_ROOT, Storyline, demo_world, media_files
from cacherr.demo.trakt_emulator import DEMO_CLIENT_ID, TraktEmulator
from cacherr.settings import Settings

DEMO_TOKEN = "owner-token"  # noqa: S105  (the emulator's owner token, not a secret)
HEALTH_TIMEOUT = 60.0
STOPPED = frozenset({0, 130, -signal.SIGINT, -signal.SIGTERM})  # how a server asked to stop exits


@dataclass
class DemoOptions:
    directory: Path | None = None
    port: int = 5445
    tick_seconds: float = 20.0
    scale: float = 1.0
    out: Callable[[str], None] = print
    host: str = "127.0.0.1"  # where the dashboard listens; 0.0.0.0 in a container, to be reached through -p


@dataclass
class Demo:
    """One running demo. ``start()``, then ``run()`` until stopped, then ``close()`` (always)."""

    options: DemoOptions
    root: Path = field(init=False)
    temporary: bool = field(init=False)
    lab: Lab | None = None
    plex: PlexEmulator | None = None
    trakt: TraktEmulator | None = None
    server: subprocess.Popen[bytes] | None = None
    story: Storyline | None = None
    log: BinaryIO | None = None
    port: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.options.directory is None:
            self.root, self.temporary = Path(tempfile.mkdtemp(prefix="cacherr-demo-")), True
        else:
            self.root, self.temporary = Path(self.options.directory).resolve(), False
            self.root.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """Where this process reaches the dashboard: loopback, unless it listens on one other address."""
        return f"http://{local_address(self.options.host)}:{self.port}"

    # --- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.port = pick_port(self.options.port, self.options.host)
        world = demo_world(scale=self.options.scale)
        self.lab = build_lab(self.root, media_files(world))
        self.plex = PlexEmulator(world).start()
        self.trakt = start_trakt()
        env = demo_env(self.root, self.lab, self.plex.url, self.port, self.options.scale, self.trakt,
                       host=self.options.host)
        self.log = open(self.root / "serve.log", "ab")  # noqa: SIM115  (the child's output; closed in close())
        self.server = subprocess.Popen([sys.executable, "-m", "cacherr", "serve"], env=env,
                                       stdout=self.log, stderr=subprocess.STDOUT)
        wait_healthy(self.url, self.server, HEALTH_TIMEOUT, self.root / "serve.log")
        self.story = Storyline(world)
        start_cycle(self.url)

    def banner(self) -> str:
        assert self.lab is not None
        assert self.plex is not None
        return "\n".join([
            "",
            f"  Cacherr demo is running:  {self.url}/"
            + (f"  (listening on {self.options.host})" if self.options.host != "127.0.0.1" else ""),
            "",
            f"  lab folder    {self.root}{'  (temporary: removed on exit)' if self.temporary else ''}",
            f"  array         {self.lab.array_root}",
            f"  cache         {self.lab.cache_root}",
            f"  emulated Plex {self.plex.url}  (token {DEMO_TOKEN})",
            f"  server log    {self.root / 'serve.log'}",
            "",
            f"  A cycle runs every minute; every {self.options.tick_seconds:g} s someone in the household "
            "watches something.",
            "  Press Ctrl-C to stop.",
            "",
        ])

    # --- run -----------------------------------------------------------------------------------
    def run(self) -> int:
        """Make time pass until stopped; returns the exit code (the server's, if it died)."""
        assert self.server is not None
        assert self.story is not None
        next_tick = time.monotonic() + self.options.tick_seconds
        while not self.stopping.is_set():
            code = self.server.poll()
            if code is not None:
                if code in STOPPED:  # Ctrl-C reaches the whole process group: the server stopped first
                    self.options.out("\nthe dashboard server stopped; stopping the demo...")
                    return 0
                self.options.out(f"cacherr serve exited with code {code}; see {self.root / 'serve.log'}")
                return code
            if time.monotonic() >= next_tick:
                self.options.out(f"  [{time.strftime('%H:%M:%S')}] {self.story.tick()}")
                next_tick = time.monotonic() + self.options.tick_seconds
            self.stopping.wait(0.2)
        return 0

    def stop(self, *_: object) -> None:
        self.stopping.set()

    # --- stop ----------------------------------------------------------------------------------
    def close(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.log is not None:
            self.log.close()
        if self.plex is not None:
            self.plex.stop()
        if self.trakt is not None:
            self.trakt.stop()
        if self.lab is not None:
            self.lab.close()
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)


def local_address(host: str) -> str:
    """The address to reach a server listening on ``host`` from this machine (wildcards: loopback)."""
    if host in ("", "0.0.0.0"):  # noqa: S104  (compared, not bound)
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def pick_port(port: int, host: str = "127.0.0.1") -> int:
    """``port`` when it is free on ``host`` (0: any free port); a clear error otherwise."""
    bare = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in bare else socket.AF_INET) as s:
        try:
            s.bind((bare, port))
        except OSError:
            raise SystemExit(f"error: port {port} is in use; pass --port 0 to use a free one") from None
        return int(s.getsockname()[1])


def build_lab(root: Path, files: Mapping[str, int]) -> Lab:
    """The lab under ``root``; media files are written once and kept between runs with the same --dir."""
    lab = make_lab(root, {})
    for seed, (rel, size) in enumerate(sorted(files.items()), start=1):
        path = lab.array(rel)
        if not path.exists() or path.stat().st_size != size:
            lab.hashes[rel] = write_media(path, size, seed)
    return lab


def start_trakt() -> TraktEmulator:
    return TraktEmulator().start()


def demo_env(root: Path, lab: Lab, plex_url: str, port: int, scale: float,
             trakt: TraktEmulator | None, host: str = "127.0.0.1") -> dict[str, str]:
    """The child's environment: the caller's, minus any Cacherr setting, plus the demo's settings."""
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "CONFIG_DIR"}
    demo = {
        "PLEX_URL": plex_url,
        "PLEX_TOKEN": DEMO_TOKEN,
        "PLEX_TV_URL": plex_url,
        "PLEX_FRIENDS_WATCHLIST_RSS": "friends-feed",  # the emulator's World.friends_rss_id
        "PLEX_SOURCE": PLEX_ROOT,
        "REAL_SOURCE": str(lab.array_root),
        "CACHE_DESTINATION": str(lab.cache_root),
        "MOVER_EXCLUDE_FILE": str(root / "mover_exclude.txt"),
        "SCHEDULE": "1m",
        "SESSION_POLL_SECONDS": "10",
        "NUMBER_EPISODES": "3",
        "CACHE_RETENTION_HOURS": "0",
        "CACHE_LIMIT": str(max(1 << 20, int(200 * (1 << 20) * scale))),
        "WEB_HOST": host,
        "WEB_PORT": str(port),
        "PUID": str(os.getuid()),
        "PGID": str(os.getgid()),
        "UMASK": "022",
        "LOG_LEVEL": "INFO",
    }
    if trakt is not None:
        demo.update({"TRAKT_URL": trakt.url, "TRAKT_CLIENT_ID": DEMO_CLIENT_ID, "TRAKT_COUNT": "3",
                     "TRAKT_LISTS": "movies/trending,shows/trending"})
    env.update({k: v for k, v in demo.items() if k in Settings.model_fields})
    env["CONFIG_DIR"] = str(root / "config")
    return env


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"error: cacherr serve exited with code {server.returncode} before answering; "
                             f"its log:\n{_tail(log)}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"error: cacherr serve did not answer {url}/health within {timeout:g} s; its log:\n{_tail(log)}")


def start_cycle(url: str) -> None:
    """Ask for a first cycle now (the schedule's first run would be a minute away). Best effort."""
    with requests.Session() as http:
        try:
            token = http.get(f"{url}/api/v1/session", timeout=5).json().get("csrf_token", "")
            http.post(f"{url}/api/v1/cycles", headers={"X-CSRF-Token": token}, timeout=10)
        except (requests.RequestException, ValueError):
            pass


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_demo(options: DemoOptions) -> int:
    """The whole demo, for the CLI: start, print the address, run until Ctrl-C or SIGTERM, clean up."""
    demo = Demo(options)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        demo.start()
        options.out(demo.banner())
        return demo.run()
    except KeyboardInterrupt:
        options.out("\nstopping the demo...")
        return 0
    finally:
        demo.close()
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
