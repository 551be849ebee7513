"""Items kept off the cache on request: every plan (cycles and real time) skips them until they are let back
in. The store is a port (``ports.KeptOff``; adapters/sqlite_kept_off.py)."""

from __future__ import annotations

from dataclasses import replace

from cacherr.domain.viewing import ExcludedSet
from cacherr.planning import Policy


def with_exclusions(policy: Policy, excluded: ExcludedSet) -> Policy:
    """``policy`` that keeps the excluded items off the cache."""
    if not excluded:
        return policy
    return replace(policy, excluded_keys=excluded.keys, excluded_paths=excluded.paths)
