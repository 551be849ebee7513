"""Pure decisions: what is wanted on the cache, what goes back, within the budget. No I/O."""

from cacherr.planning.planner import build_plan
from cacherr.planning.policy import Policy, WantedItem, aggregate_wants

__all__ = ["Policy", "WantedItem", "aggregate_wants", "build_plan"]
