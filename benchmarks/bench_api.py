"""/api/v1/status latency with 50 concurrent clients on loopback while a large copy runs.

The server is ``cacherr serve``'s stack (container, Flask app, waitress) in a child process, over a
state database holding 2,000 cached files and 500 cycles. In the measured run a background thread in
that process copies a large file again and again (copy_file_range in 8 MB chunks) and reports it to
the progress board, so every status answer includes a running operation. The reference is the same
load with no copy. Clients run in 5 processes x 10 threads with keep-alive connections; each polls
``/api/v1/status`` with a 100 ms pause (a dashboard polls once a second, so this is ten dashboards'
worth per client).

    .venv/bin/python benchmarks/run.py api [--quick]
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row, p99_ms  # noqa: E402

CLIENT_PROCS, THREADS_PER_PROC = 5, 10
THINK = 0.1
TARGET_P99_MS = 50.0


# --- the server child ------------------------------------------------------------------------
def _populate(db: object, root: Path) -> None:
    now = datetime.now(UTC)
    with db.transaction() as conn:  # type: ignore[attr-defined]
        for i in range(2000):
            conn.execute(
                "INSERT INTO cache_entries (cache_path, array_path, size, mode, cached_at, item_key, title, library,"
                " reason, users, pinned) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (f"{root}/cache/tv/Show {i // 10}/E{i}.mkv", f"{root}/array/tv/Show {i // 10}/E{i}.mkv", 1 << 30,
                 "copy", now.isoformat(), str(i), f"Show {i // 10} E{i}", "TV", 3 + i % 4,
                 json.dumps([f"user{i % 7}"]), 0))
        for i in range(500):
            t = now - timedelta(hours=6 * (500 - i))
            conn.execute("INSERT INTO cycles (started_at, finished_at, trigger, status, summary) VALUES (?,?,?,?,?)",
                         (t.isoformat(), (t + timedelta(minutes=2)).isoformat(), "schedule", "ok",
                          json.dumps({"cached": 3, "restored": 2, "bytes_moved": 5 << 30})))
            conn.execute("INSERT INTO usage_samples (ts, cache_used, cache_total, by_cacherr, bytes_moved) "
                         "VALUES (?,?,?,?,?)", (t.isoformat(), 400 << 30, 1 << 40, 300 << 30, 5 << 30))


def _copy_forever(src: Path, dst: Path, board: object, stop: threading.Event) -> None:
    size, op = src.stat().st_size, 0
    while not stop.is_set():
        op += 1
        board.start(op, "cache", str(dst), "Big Movie (2024)", size)  # type: ignore[attr-defined]
        with open(src, "rb") as fi, open(dst, "wb") as fo:
            done = 0
            while done < size and not stop.is_set():
                n = os.copy_file_range(fi.fileno(), fo.fileno(), 8 << 20)
                if n == 0:
                    break
                done += n
                board.update(op, done)  # type: ignore[attr-defined]
            fo.flush()
            os.fsync(fo.fileno())
        board.finish(op)  # type: ignore[attr-defined]


def serve_child(root: Path, copy: bool) -> None:
    from cacherr.bootstrap import build_container
    from cacherr.web.app import create_app
    from cacherr.web.server import start_in_thread

    env = {"REAL_SOURCE": str(root / "array"), "CACHE_DESTINATION": str(root / "cache"),
           "PLEX_SOURCE": "/data", "SCHEDULE": "off", "LOG_LEVEL": "WARNING", "PLEX_URL": "http://127.0.0.1:9"}
    container = build_container(root / "config", env=env, console_log=False)
    if not container.db.query("SELECT 1 FROM cache_entries LIMIT 1"):
        _populate(container.db, root)
    stop = threading.Event()
    if copy:
        threading.Thread(target=_copy_forever, args=(root / "array" / "big.bin", root / "cache" / "big.bin",
                                                     container.progress, stop), daemon=True).start()
    handle = start_in_thread(create_app(container), "127.0.0.1", 0)
    print(handle.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    stop.set()
    handle.stop()
    container.close()


# --- the load generator ----------------------------------------------------------------------
def client_child(port: int, path: str, seconds: float, threads: int) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
            time.sleep(THINK)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"latencies": latencies, "errors": errors[0]}))


def _load(port: int, path: str, seconds: float) -> tuple[list[float], int]:
    procs = [subprocess.Popen([sys.executable, __file__, "--client", str(port), path, str(seconds),
                               str(THREADS_PER_PROC)], stdout=subprocess.PIPE, text=True)
             for _ in range(CLIENT_PROCS)]
    latencies: list[float] = []
    errors = 0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 60)
        data = json.loads(out)
        latencies.extend(data["latencies"])
        errors += data["errors"]
    return latencies, errors


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(root: Path, copy: bool, seconds: float, path: str = "/api/v1/status") -> dict[str, float]:
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(root), "1" if copy else "0"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdin is not None
        port = int(server.stdout.readline())
        _load(port, path, 1.0)  # warm-up
        cpu0 = _cpu_seconds(server.pid)
        lat, errors = _load(port, path, seconds)
        cpu = _cpu_seconds(server.pid) - cpu0
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=60)
    lat.sort()
    return {"median": statistics.median(lat) * 1000, "p99": p99_ms(lat),
            "rps": len(lat) / seconds, "errors": float(errors), "cpu_ms": 1000 * cpu / max(1, len(lat))}


def run(quick: bool) -> list[Row]:
    seconds = 4.0 if quick else 15.0
    big = (256 if quick else 2048) << 20
    root = Path(tempfile.mkdtemp(prefix="cacherr-bench-api-"))
    try:
        for d in ("array", "cache", "config"):
            (root / d).mkdir()
        with open(root / "array" / "big.bin", "wb") as fh:
            block = os.urandom(8 << 20)
            for _ in range(big // len(block)):
                fh.write(block)
        health = _measure(root, False, seconds / 2, "/health")
        idle = _measure(root, False, seconds)
        busy = _measure(root, True, seconds)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    clients = CLIENT_PROCS * THREADS_PER_PROC
    load = os.getloadavg()[0]
    note = f"{clients} clients, {THINK * 1000:.0f} ms think; reference: same load, no copy"
    return [
        Row("api", "status median latency during copy", busy["median"], "ms", idle["median"], note=note),
        Row("api", "status p99 latency during copy", busy["p99"], "ms", idle["p99"], target=f"< {TARGET_P99_MS:g} ms",
            note=("PASS" if busy["p99"] < TARGET_P99_MS else "FAIL: over target")
            + f"; machine load average {load:.1f} on {os.cpu_count()} CPUs"),
        Row("api", "status requests per second during copy", busy["rps"], "req/s", idle["rps"]),
        Row("api", "status errors (non-200) during copy", busy["errors"], "", idle["errors"]),
        Row("api", "server CPU per status request (idle)", idle["cpu_ms"], "ms", health["cpu_ms"],
            note="reference: CPU per /health request (the framework's floor)"),
    ]


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve_child(Path(sys.argv[2]), sys.argv[3] == "1")
    elif sys.argv[1] == "--client":
        client_child(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        for row in run("--quick" in sys.argv):
            print(row.as_dict())
