"""docker/entrypoint.sh for real, as root, in a throwaway mount namespace with a private copy of /etc.

The entrypoint creates or adjusts the `cacherr` user, chowns CONFIG_DIR and drops to PUID:PGID with
setpriv. Each test runs it under `unshare --mount` with a copy of /etc bind-mounted over /etc, so the
user it creates lives and dies with the test and the host's /etc is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require, require_root, require_tool

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
# Bind the private /etc copy ($1) over /etc, then run the rest of the arguments.
IN_PRIVATE_ETC = 'mount --bind "$1" /etc && shift && exec "$@"'

pytestmark = pytest.mark.root


class Sandbox:
    """A folder readable by any uid (tmp_path is 0700 root), holding a private /etc and a config dir."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.etc = base / "etc"
        self.config = base / "config"
        self.etc.mkdir()
        subprocess.run(["cp", "-a", "/etc/.", str(self.etc)], check=True)

    def env(self, **extra: str) -> dict[str, str]:
        from cacherr.settings import Settings

        env = {k: v for k, v in os.environ.items()
               if k not in Settings.model_fields and not k.startswith("CACHERR_")}
        env["CONFIG_DIR"] = str(self.config)
        env.update(extra)
        return env

    def argv(self, *command: str) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", IN_PRIVATE_ETC, "sh",
                str(self.etc), str(ENTRYPOINT), *command]

    def run(self, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*command), env=self.env(**env), capture_output=True, text=True,
                              timeout=60, check=False)

    def passwd_has(self, user: str) -> bool:
        return any(line.split(":", 1)[0] == user for line in (self.etc / "passwd").read_text().splitlines())


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    require_root()
    require_tool("setpriv")
    require_tool("unshare")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    require(probe.returncode == 0, f"needs mount namespaces (unshare --mount): {probe.stderr!r}")
    base = Path(tempfile.mkdtemp(prefix="cacherr-entrypoint-", dir="/tmp"))
    base.chmod(0o755)
    try:
        yield Sandbox(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_defaults_run_as_nobody_users_with_umask_000(sandbox: Sandbox) -> None:
    out = _lines(sandbox.run("sh", "-c", 'id -u; id -g; id -G; umask; echo "$HOME"'))
    assert out == ["99", "100", "100", "0000", str(sandbox.config)]
    st = sandbox.config.stat()
    assert (st.st_uid, st.st_gid) == (99, 100)
    assert sandbox.passwd_has("cacherr")
    assert not Path("/etc/passwd").read_text().count("\ncacherr:"), "the host's /etc must stay untouched"


def test_puid_pgid_umask_are_applied(sandbox: Sandbox) -> None:
    out = _lines(sandbox.run("sh", "-c", 'id -u; id -g; umask; touch "$CONFIG_DIR/new"; stat -c %a "$CONFIG_DIR/new"',
                             PUID="1234", PGID="2345", UMASK="027"))
    assert out == ["1234", "2345", "0027", "640"]
    st = (sandbox.config / "new").stat()
    assert (st.st_uid, st.st_gid) == (1234, 2345)


def test_an_existing_user_is_moved_to_the_new_ids(sandbox: Sandbox) -> None:
    # Two starts in the same namespace: the second must adjust the user the first created.
    script = (f'mount --bind "{sandbox.etc}" /etc && '
              f'PUID=1000 PGID=1000 "{ENTRYPOINT}" id -u && PUID=1500 PGID=1600 "{ENTRYPOINT}" sh -c "id -u; id -g"')
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            env=sandbox.env(), capture_output=True, text=True, timeout=60, check=False)
    assert _lines(result) == ["1000", "1500", "1600"]
    entry = next(line for line in (sandbox.etc / "passwd").read_text().splitlines() if line.startswith("cacherr:"))
    assert entry.split(":")[2:4] == ["1500", "1600"]


def test_config_dir_is_chowned_but_nothing_outside_it(sandbox: Sandbox) -> None:
    (sandbox.config / "logs").mkdir(parents=True)
    (sandbox.config / "logs" / "old.log").write_text("x")
    media = sandbox.base / "media"
    media.mkdir()
    (media / "movie.mkv").write_text("x")
    _lines(sandbox.run("true", PUID="1234", PGID="2345"))
    for p in (sandbox.config, sandbox.config / "logs", sandbox.config / "logs" / "old.log"):
        assert (p.stat().st_uid, p.stat().st_gid) == (1234, 2345), p
    assert (media / "movie.mkv").stat().st_uid == 0
    assert media.stat().st_uid == 0


def test_the_command_replaces_the_shell_so_sigterm_reaches_it(sandbox: Sandbox) -> None:
    code = ("import os, signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: (print('SIGTERM', flush=True), sys.exit(0)))\n"
            "print(os.getpid(), flush=True)\n"
            "time.sleep(30)\n")
    proc = subprocess.Popen(sandbox.argv(sys.executable, "-c", code), env=sandbox.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline())
        assert pid == proc.pid, "every step must exec: the command keeps the PID docker signals"
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert out.strip() == "SIGTERM"
    assert proc.returncode == 0


@pytest.mark.parametrize(("env", "named"), [
    ({"PUID": "abc"}, "PUID='abc' is not a user id"),
    ({"PUID": "-1"}, "PUID='-1' is not a user id"),
    ({"PUID": "99999999999"}, "PUID='99999999999' is not a user id"),
    ({"PGID": "users"}, "PGID='users' is not a group id"),
    ({"UMASK": "999"}, "UMASK='999' is not an octal umask"),
    ({"UMASK": "0o22"}, "UMASK='0o22' is not an octal umask"),
    ({"CONFIG_DIR": "relative"}, "must be an absolute path"),
    ({"CONFIG_DIR": "/mnt/user/appdata"}, "looks like a media or system folder"),
])
def test_bad_values_are_refused_before_anything_changes(sandbox: Sandbox, env: dict[str, str], named: str) -> None:
    marker = sandbox.base / "ran"
    result = sandbox.run("touch", str(marker), **env)
    assert result.returncode == 64
    assert named in result.stderr
    assert "Set " in result.stderr or "point it" in result.stderr or "default" in result.stderr
    assert not marker.exists()
    assert not sandbox.passwd_has("cacherr")
    assert not sandbox.config.exists()


def test_blank_variables_are_dropped_so_defaults_apply(sandbox: Sandbox) -> None:
    out = sandbox.run("env", NUMBER_EPISODES="", PLEX_URL="http://plex:32400", PUID="")
    names = dict(line.split("=", 1) for line in _lines(out) if "=" in line)
    assert "NUMBER_EPISODES" not in names
    assert names["PLEX_URL"] == "http://plex:32400"
    assert names["PUID"] == "99"


def test_tz_is_applied_and_a_bad_one_is_reported(sandbox: Sandbox) -> None:
    require(Path("/usr/share/zoneinfo/Europe/Paris").exists(), "needs tzdata (apt-get install tzdata)")
    out = _lines(sandbox.run("date", "-d", "2026-01-15T12:00:00Z", "+%H", TZ="Europe/Paris"))
    assert out == ["13"]
    bad = sandbox.run("true", TZ="Mars/Olympus")
    assert bad.returncode == 0
    assert "TZ='Mars/Olympus' is not a known time zone" in bad.stderr


def test_started_as_non_root_it_keeps_that_user(sandbox: Sandbox) -> None:
    sandbox.config.mkdir()
    os.chown(sandbox.config, 4321, 4321)
    result = subprocess.run(["setpriv", "--reuid=4321", "--regid=4321", "--clear-groups", str(ENTRYPOINT),
                             "sh", "-c", "id -u; umask"], env=sandbox.env(UMASK="002", PUID="99"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert _lines(result) == ["4321", "0002"]
    assert "PUID/PGID are ignored" in result.stderr


@pytest.mark.slow
def test_container_start_serves_health_as_puid_and_stops_on_sigterm(sandbox: Sandbox) -> None:
    """What `docker run` does, minus Docker: entrypoint -> setpriv -> `cacherr serve`, then `docker stop`."""
    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name in ("array", "cache"):
        (sandbox.base / name).mkdir()
    env = {"PUID": "99", "PGID": "100", "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "SCHEDULE": "off",
           "REAL_SOURCE": str(sandbox.base / "array"), "CACHE_DESTINATION": str(sandbox.base / "cache"),
           "PLEX_URL": "http://127.0.0.1:9", "SESSION_POLL_SECONDS": "0"}
    cacherr = Path(sys.executable).parent / "cacherr"
    proc = subprocess.Popen(sandbox.argv(str(cacherr), "serve"), env=sandbox.env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        healthy = False
        while time.monotonic() < deadline and proc.poll() is None and not healthy:
            try:
                healthy = requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
            except requests.RequestException:
                time.sleep(0.3)
        assert healthy, "no /health answer"
        db = sandbox.config / "cacherr.db"
        assert (db.stat().st_uid, db.stat().st_gid) == (99, 100), "Cacherr runs as PUID:PGID"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        proc.kill()
        out = proc.communicate()[0].decode(errors="replace")
    assert code == 0, out


# --- friendly failures: read-only /etc, no capabilities, a folder root cannot chown -------------------

def _in_sandbox(sandbox: Sandbox, prefix: list[str], *command: str, setup: str = "",
                **env: str) -> subprocess.CompletedProcess[str]:
    """The entrypoint in the sandbox, after ``setup`` (shell, in the namespace) and behind ``prefix``."""
    script = f'mount --bind "$1" /etc && {setup or "true"} && shift && exec "$@"'
    argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(sandbox.etc),
            *prefix, str(ENTRYPOINT), *command]
    return subprocess.run(argv, env=sandbox.env(**env), capture_output=True, text=True, timeout=60, check=False)


def test_read_only_etc_with_another_puid_runs_as_that_puid(sandbox: Sandbox) -> None:
    """Regression: `docker run --read-only -e PUID=1234` stopped at 'groupmod: cannot lock /etc/group'."""
    result = _in_sandbox(sandbox, [], "sh", "-c", "id -u; id -g; grep NoNewPrivs /proc/self/status",
                         setup="mount -o remount,bind,ro /etc", PUID="1234", PGID="2345")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1234", "2345", "NoNewPrivs:", "1"]
    assert "read-only" in result.stderr and "1234:2345" in result.stderr
    assert not sandbox.passwd_has("cacherr"), "nothing was written to the read-only /etc"


def test_cap_drop_all_says_what_to_change_with_the_actual_ids(sandbox: Sandbox) -> None:
    """Regression: `--cap-drop ALL` stopped at 'chown: Operation not permitted'."""
    marker = sandbox.base / "ran"
    result = _in_sandbox(sandbox, ["setpriv", "--bounding-set=-all"], "touch", str(marker),
                         PUID="1234", PGID="2345")
    assert result.returncode == 64
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "CAP_SETUID" in lines[0] and "--cap-add SETUID" in lines[0] and "--user 1234:2345" in lines[0]
    assert not marker.exists()


def test_a_config_folder_already_right_needs_no_chown_capability(sandbox: Sandbox) -> None:
    sandbox.config.mkdir()
    (sandbox.config / "cacherr.db").write_text("x")
    for p in (sandbox.config, sandbox.config / "cacherr.db"):
        os.chown(p, 1234, 2345)
    result = _in_sandbox(sandbox, ["setpriv", "--bounding-set=-chown"], "id", "-u", PUID="1234", PGID="2345")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1234"]


def test_root_squashed_config_folder_names_the_fix_with_puid_pgid(sandbox: Sandbox) -> None:
    """Regression: a folder root cannot chown (root-squashed share) stopped at a bare chown error."""
    sandbox.config.mkdir()
    sandbox.config.chmod(0o755)  # root's, not writable by 1234
    result = _in_sandbox(sandbox, ["setpriv", "--bounding-set=-chown"], "true", PUID="1234", PGID="2345")
    assert result.returncode == 64
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert "chown -R 1234:2345" in errors[0] and "its owner (0:0)" in errors[0]


def test_root_squashed_config_folder_writable_by_puid_carries_on(sandbox: Sandbox) -> None:
    sandbox.config.mkdir()
    sandbox.config.chmod(0o777)
    result = _in_sandbox(sandbox, ["setpriv", "--bounding-set=-chown"], "sh", "-c", 'touch "$CONFIG_DIR/x"; id -u',
                         PUID="1234", PGID="2345")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1234"]
    assert "warning: could not give every file" in result.stderr
    assert (sandbox.config / "x").stat().st_uid == 1234


def test_not_writable_message_names_the_actual_uid_and_gid(tmp_path: Path) -> None:
    """Regression: Cacherr's own 'not writable' message said `chown 99:100` whatever the PUID."""
    require_root()
    require_tool("setpriv")
    base = Path(tempfile.mkdtemp(prefix="cacherr-ids-", dir="/tmp"))
    try:
        base.chmod(0o755)
        code = ("from pathlib import Path; from cacherr.bootstrap import check_config_dir\n"
                f"check_config_dir(Path({str(base)!r}))")
        result = subprocess.run(["setpriv", "--reuid=4321", "--regid=4322", "--clear-groups", sys.executable, "-c",
                                 code], capture_output=True, text=True, timeout=60, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert result.returncode != 0
    assert "chown -R 4321:4322" in result.stderr and "99:100" not in result.stderr
