"""build_plan at scale: 100,000 library items, 10,000 cached files, 50 users.

Figures:
- plan time (median of runs) against a reference in the same process: merely building the item index
  and sorting the wants and cache entries (the least any planner must do), for a ratio;
- plan time as the cycle runs it (the cyclic garbage collector paused, ``services/gc_pause.py``) against the
  same plan with the collector running, runs interleaved: the reason for the pause;
- peak RSS (VmHWM; ``resource.getrusage`` as a fallback) of a fresh process that generates the data and
  plans (target < 200 MB), against a process that only imports the planner.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from common import Row  # noqa: E402

from cacherr.domain.cache import CacheState  # noqa: E402
from cacherr.domain.media import Snapshot  # noqa: E402
from cacherr.planning import Policy, build_plan  # noqa: E402
from cacherr.services.gc_pause import collector_paused  # noqa: E402
from cacherr.testing import SCALE_NOW as NOW  # noqa: E402
from cacherr.testing import generate_plan_inputs as generate  # noqa: E402


def reference(snapshot: Snapshot, state: CacheState) -> None:
    """The least a planner does: index the items, sort the wants and the cache entries."""
    index = {k: v.files for k, v in snapshot.items.items()}
    sorted(snapshot.wants, key=lambda w: (w.reason, w.rank, w.item_key))
    sorted(state.entries, key=lambda e: e.cache_path)
    assert index


def timed(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def paused_and_running(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median times of ``fn`` with the collector paused (as ``CycleService`` plans) and running, interleaved."""
    paused, running = [], []
    for _ in range(runs):
        with collector_paused():
            paused.append(timed(fn, 1))
        running.append(timed(fn, 1))
    return statistics.median(paused), statistics.median(running)


CHILD = """
import json, resource, sys, time
sys.path[:0] = {paths!r}
import bench_plan
from cacherr.planning import Policy, build_plan
if {plan!r}:
    snap, state = bench_plan.generate({items}, {cached}, {users})
    plan = build_plan(snap, state, Policy(limit_bytes=int(state.used_by_cacherr * 0.5)), bench_plan.NOW)
# VmHWM: the peak of this program only (ru_maxrss can carry the forking parent's peak across exec)
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(json.dumps({{"rss_kb": hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def child_rss(items: int, cached: int, users: int, plan: bool) -> float:
    code = CHILD.format(paths=[str(HERE), str(HERE.parent / "src")], plan=plan, items=items, cached=cached,
                        users=users)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])["rss_kb"] / 1024


def run(quick: bool) -> list[Row]:
    items, cached, users = (20_000, 2_000, 10) if quick else (100_000, 10_000, 50)
    runs = 3 if quick else 5
    snap, state = generate(items, cached, users)
    policy = Policy(limit_bytes=int(state.used_by_cacherr * 0.5), retention=timedelta(hours=12))
    plan = build_plan(snap, state, policy, NOW)
    t_plan, t_gc = paused_and_running(lambda: build_plan(snap, state, policy, NOW), runs)
    t_ref = timed(lambda: reference(snap, state), runs)
    rss = child_rss(items, cached, users, plan=True)
    rss_base = child_rss(items, cached, users, plan=False)
    size = f"{items:,} items, {cached:,} cached, {users} users, {len(snap.wants):,} wants"
    return [
        Row("plan", "build_plan time", t_plan * 1000, "ms", t_ref * 1000, "< 1000 ms",
            f"{size}; {len(plan.actions):,} actions, {len(plan.skips):,} skips; reference: index+sort inputs"),
        Row("plan", "build_plan time, collector paused (as the cycle runs it)", t_plan * 1000, "ms", t_gc * 1000,
            "< reference", "reference: the same plan with the cyclic garbage collector running"),
        Row("plan", "peak RSS (generate + plan)", rss, "MB", rss_base, "< 200 MB",
            "reference: a process that only imports the planner"),
    ]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.as_dict())
