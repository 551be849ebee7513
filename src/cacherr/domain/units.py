"""Sizes for people: the one ``human_bytes`` of the package (the dashboard's JavaScript has its own copy)."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KB`` (binary units, as ``df -h`` shows them); a negative size reads ``0 B``."""
    value = float(max(n, 0))
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable: the loop returns at TB")  # pragma: no cover


def human_bytes_signed(n: float | None) -> str:
    """For the dashboard: ``-`` when unknown, a minus sign kept."""
    if n is None:
        return "-"
    return f"-{human_bytes(-n)}" if n < 0 else human_bytes(n)
