"""The row every benchmark returns, and small helpers shared by benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


def p99_ms(seconds: Sequence[float]) -> float:
    """The 99th percentile of ``seconds`` (sorted ascending), in milliseconds; 0 for none."""
    return seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000 if seconds else 0.0


@dataclass
class Row:
    benchmark: str
    metric: str
    value: float
    unit: str
    reference: float | None = None  # the same figure for the reference (cp, baseline) in this run
    target: str = ""  # e.g. "<= 1.10"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return self.value / self.reference  # type: ignore[operator]

    def fmt(self, v: float) -> str:
        return f"{v:,.3f} {self.unit}".strip() if isinstance(v, float) and not v.is_integer() else f"{v:,.0f} {self.unit}".strip()

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio": self.ratio}
