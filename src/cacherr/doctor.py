"""``cacherr doctor``: check every path, filesystem and Plex, and say how to fix each failure."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cacherr.bootstrap import Container
from cacherr.domain.paths import is_union_view, is_within, normalise


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def filesystem_of(path: str) -> str:
    """The filesystem type and mount point holding ``path`` (from /proc/self/mountinfo)."""
    p = os.path.realpath(path)
    best, fstype = "", "?"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                mount = parts[4].replace("\\040", " ")
                sep = parts.index("-")
                if is_within(p, mount) and len(mount) >= len(best):
                    best, fstype = mount, parts[sep + 1]
    except OSError:
        return "?"
    return f"{fstype} at {best}"


def _path_checks(label: str, path: str, *, write: bool) -> list[Check]:
    p = Path(path)
    if not p.exists():
        return [Check(f"{label} exists", False, f"{path} does not exist",
                      "create it or mount it into the container (check the setting)")]
    if not p.is_dir():
        return [Check(f"{label} is a folder", False, f"{path} is not a folder", "point the setting at a folder")]
    mode = os.R_OK | os.X_OK | (os.W_OK if write else 0)
    access_ok = os.access(p, mode)
    need = "readable and writable" if write else "readable"
    return [
        Check(f"{label} {need}", access_ok, f"{path} ({filesystem_of(path)})",
              "" if access_ok else f"chown -R {os.getuid()}:{os.getgid()} {path} or fix PUID/PGID"),
    ]


def run_checks(container: Container) -> list[Check]:
    s = container.settings
    results: list[Check] = []
    for m in s.path_mappings():
        tag = f"{m.name}: "
        results += _path_checks(tag + "REAL_SOURCE (array)", m.array_path, write=True)
        results += _path_checks(tag + "CACHE_DESTINATION (cache)", m.cache_path, write=True)
        union = is_union_view(m.array_path)
        results.append(Check(tag + "array path is not the union view", not union, m.array_path,
                             "use /mnt/user0/<share> or /mnt/diskN/<share>: /mnt/user mixes cache and array "
                             "and copying through it can truncate the file being copied" if union else ""))
        same = normalise(m.array_path) == normalise(m.cache_path) or is_within(m.cache_path, m.array_path) \
            or is_within(m.array_path, m.cache_path)
        results.append(Check(tag + "cache and array differ", not same, f"{m.array_path} vs {m.cache_path}",
                             "point CACHE_DESTINATION at the cache pool, outside the array path" if same else ""))
        if not same and Path(m.array_path).exists() and Path(m.cache_path).exists():
            same_dev = os.stat(m.array_path).st_dev == os.stat(m.cache_path).st_dev
            results.append(Check(tag + "cache and array on different filesystems", not same_dev,
                                 f"{filesystem_of(m.array_path)} / {filesystem_of(m.cache_path)}",
                                 "caching onto the same disk gains nothing: mount the cache pool" if same_dev else ""))
            results.append(_union_probe(tag, m.array_path, m.cache_path))
    if s.MOVER_EXCLUDE_FILE:
        results.append(_exclude_paths_check([m.cache_path for m in s.path_mappings()]))
    results.append(_database_check(container))
    results.append(_plex_check(container))
    return results


def _exclude_paths_check(cache_paths: list[str]) -> Check:
    """Mover Tuning runs on the host and matches /mnt/<pool>/<share>/... lines only: the cache must be
    mounted into the container at its host path for the exclude list to hold anything back."""
    odd = [p for p in cache_paths if not is_within(p, "/mnt") or is_union_view(p)]
    fix = ("mount the cache at its host path (-v /mnt/cache/media:/mnt/cache/media) and set CACHE_DESTINATION "
           "to it, so the exclude list names paths the mover knows (docs/unraid.md)") if odd else ""
    return Check("mover exclude list uses host paths", not odd, ", ".join(cache_paths), fix)


def _union_probe(tag: str, array_path: str, cache_path: str) -> Check:
    """Catch a union view mounted under another name (e.g. /mnt/user/media at /mediasource in a container).

    A hidden probe file is created in the cache root; if it shows up under the array root, the "array"
    path also shows the cache, so it is a union (shfs or mergerfs) and must not be mutated through.
    """
    name = f".cacherr-probe-{uuid.uuid4().hex}"
    probe = Path(cache_path) / name
    try:
        probe.touch(exist_ok=False)
    except OSError as exc:
        return Check(tag + "array path does not show the cache", False, f"cannot write a probe in {cache_path}: "
                     f"{exc.strerror}", "make the cache folder writable by PUID/PGID")
    try:
        leaked = (Path(array_path) / name).exists()
    finally:
        probe.unlink(missing_ok=True)
    fix = ("REAL_SOURCE shows files from the cache: it is a union view (Unraid's /mnt/user, or mergerfs). Mount "
           "the array side instead: /mnt/user0/<share> or /mnt/diskN/<share>") if leaked else ""
    return Check(tag + "array path does not show the cache", not leaked, f"probe {name} checked", fix)


def _database_check(container: Container) -> Check:
    from cacherr.domain.errors import StateStoreError

    try:
        version = container.db.schema_version
    except StateStoreError as exc:
        return Check("state database", False, str(exc), "see docs/operations.md (recovery)")
    return Check("state database", True, f"{container.config_dir / 'cacherr.db'} (schema {version})")


def _plex_check(container: Container) -> Check:
    s = container.settings
    if not s.PLEX_TOKEN.get_secret_value():
        return Check("Plex token set", False, "PLEX_TOKEN is empty",
                     "set PLEX_TOKEN (Plex Web > any item > Get Info > View XML: X-Plex-Token in the URL)")
    try:
        server = container.media_server()
    except NotImplementedError as exc:
        return Check("Plex reachable", False, str(exc), "")
    try:
        ok = server.ping()
    except Exception as exc:  # noqa: BLE001  a ping that raises is a failed check, reported with its message
        ok, detail = False, str(exc)
    else:
        detail = s.PLEX_URL if ok else f"no answer from {s.PLEX_URL}"
    return Check("Plex reachable and token valid", ok, detail,
                 "" if ok else "check PLEX_URL (use the LAN address, not localhost, from a container) and PLEX_TOKEN")


def print_report(results: list[Check]) -> None:
    table = Table(title="cacherr doctor")
    for col in ("", "check", "detail", "fix"):
        table.add_column(col, overflow="fold")  # wrapped to the terminal, never cut with "…"
    for r in results:
        table.add_row("[green]ok[/]" if r.ok else "[red]FAIL[/]", r.name, r.detail, r.fix)
    Console(highlight=False).print(table)
