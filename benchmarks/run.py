"""Run every benchmark (benchmarks/bench_*.py) and print one table of figures and ratios.

Each module defines ``run(quick: bool) -> list[Row]``. A row compares a Cacherr figure with a
reference taken in the same run (``cp`` for copies, a baseline for request counts), because
machines are noisy: the ratio is the figure that matters.

    scripts/bench                 # everything, full size
    scripts/bench --quick         # smaller inputs, for a smoke run
    scripts/bench copy plan       # only benchmarks whose name contains one of these words
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row  # noqa: E402


def discover(words: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    return [p for p in found if not words or any(w in p.stem for w in words)]


def load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="run only benchmarks whose file name contains one of these")
    parser.add_argument("--quick", action="store_true", help="smaller inputs (smoke run)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    rows: list[Row] = []
    failures = 0
    for path in discover(args.only):
        started = time.monotonic()
        try:
            rows.extend(load(path).run(args.quick))
        except Exception as exc:  # noqa: BLE001  report and go on: one broken benchmark must not hide the others
            failures += 1
            rows.append(Row(path.stem, "error", 0.0, "", note=f"{type(exc).__name__}: {exc}"))
        print(f"{path.stem}: {time.monotonic() - started:.1f}s", file=sys.stderr)
    table = Table(title="Cacherr benchmarks" + (" (quick)" if args.quick else ""))
    for col in ("benchmark", "metric", "value", "reference", "ratio", "target", "note"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.benchmark, r.metric, r.fmt(r.value), r.fmt(r.reference) if r.reference is not None else "",
                      f"{r.ratio:.3f}" if r.ratio is not None else "", r.target, r.note)
    Console(width=max(Console().width, 180)).print(table)
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in rows], indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
