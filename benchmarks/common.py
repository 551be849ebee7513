"""The row every benchmark returns, and small helpers shared by benchmarks."""

from __future__ import annotations

from dataclasses import asdict, dataclass


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
