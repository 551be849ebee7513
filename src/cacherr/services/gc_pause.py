"""The cycle plans with Python's cyclic garbage collector paused.

Planning allocates many small short-lived objects next to a large live heap (the snapshot); a full collection
over that heap costs more than the plan itself (``benchmarks/bench_plan.py``: at 100,000 items, 10,000 cached
files and 50 users the plan takes about twice as long with the collector running). The planner stays pure
(``planning/`` does no process-wide state); the service that runs it pauses the collector around it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (reference counting still frees memory); it resumes after,
    if it was running before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
