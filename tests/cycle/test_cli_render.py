"""What `cacherr cycle`/`plan`/`restore` print, rendered into a recording rich console."""

from __future__ import annotations

import io
from datetime import timedelta

from rich.console import Console

from cacherr.cli_cycle import exit_code, print_plan, print_report, progress_bars
from cacherr.domain.cache import Action, ActionKind, Plan, Skip
from cacherr.domain.media import Reason
from cacherr.domain.report import CycleReport, OpOutcome
from cacherr.testing import EPOCH

HOSTILE = "[bold]Weird[/x] \\[red] Title"


def console() -> Console:
    return Console(file=io.StringIO(), width=200, force_terminal=False, color_system=None)


def text(c: Console) -> str:
    assert isinstance(c.file, io.StringIO)
    return c.file.getvalue()


def test_rich_markup_in_titles_is_printed_verbatim() -> None:
    c = console()
    plan = Plan(EPOCH, (Action(ActionKind.CACHE, "/a/x", "/c/x", 10, Reason.WATCHLIST, f"why {HOSTILE}", "k",
                               HOSTILE),), (Skip("/a/y", HOSTILE, "[red]too big"),), 100, 0, 10, ("[note]",))
    print_plan(c, plan, as_json=False)
    out = text(c)
    assert out.count("[bold]Weird[/x]") == 3 and "[red]too big" in out and "[note]" in out
    report = CycleReport(1, "cli", EPOCH, EPOCH + timedelta(seconds=3), "partial",
                         cached=(OpOutcome("cache", HOSTILE, "/c/x", 10, True, "[why]"),),
                         failed=(OpOutcome("cache", "F", "/c/f", 1, False, "", "[err]"),),
                         skipped=(f"{HOSTILE}: in play",), problems=("[problem]",), message="[msg]")
    c = console()
    print_report(c, report)
    out = text(c)
    for piece in ("[bold]Weird[/x]", "[why]", "[err]", "[problem]", "[msg]", "Status: partial"):
        assert piece in out, piece
    assert exit_code(report) == 1


def test_plan_as_json_and_nothing_to_do() -> None:
    c = console()
    print_plan(c, Plan(EPOCH, ()), as_json=False)
    assert "Nothing to do" in text(c)
    c = console()
    print_plan(c, Plan(EPOCH, (), budget_bytes=5), as_json=True)
    assert '"budget_bytes": 5' in text(c)


def test_progress_bars_only_on_a_terminal() -> None:
    with progress_bars(console()) as cb:
        assert cb is None
    term = Console(file=io.StringIO(), width=120, force_terminal=True)
    with progress_bars(term) as cb:
        assert cb is not None
        cb(1, "/c/[bold]x.mkv", 5, 10)
        cb(1, "/c/[bold]x.mkv", 10, 10)
    with progress_bars(term, enabled=False) as cb:
        assert cb is None
