"""The remaining ``cacherr`` commands: cycle, plan, restore, serve, doctor, demo.

Each command owns one function here; capabilities fill theirs in.
"""

from __future__ import annotations

import click

from cacherr.bootstrap import Container
from cacherr.cli_base import fail, main, with_container
from cacherr.domain.report import Trigger


@main.command()
@click.option("--dry-run", is_flag=True, help="Build and show the plan; touch no file (like TEST_MODE).")
@click.pass_context
@with_container
def cycle(_ctx: click.Context, container: Container, dry_run: bool) -> None:
    """Run one full cache cycle now, then exit (0 on success)."""
    from cacherr.cli_base import console
    from cacherr.cli_cycle import exit_code, print_report, progress_bars

    with progress_bars(console, not dry_run) as on_progress:
        report = container.cycle_service().run(Trigger.CLI, dry_run=dry_run, on_progress=on_progress)
    print_report(console, report)
    if exit_code(report):
        fail(report.message or f"the cycle ended with status {report.status}", exit_code(report))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
@with_container
def plan(_ctx: click.Context, container: Container, as_json: bool) -> None:
    """Print what a cycle would do and why, without doing it."""
    from cacherr.cli_base import console
    from cacherr.cli_cycle import print_plan

    print_plan(console, container.cycle_service().preview(), as_json)


@main.command()
@click.argument("path", required=False)
@click.option("--all", "restore_all", is_flag=True, help="Give the whole cache back to the array.")
@click.pass_context
@with_container
def restore(_ctx: click.Context, container: Container, path: str | None, restore_all: bool) -> None:
    """Give one cached file (PATH) or everything (--all) back to the array."""
    from cacherr.cli_base import console
    from cacherr.cli_cycle import exit_code, print_report

    if bool(path) == restore_all:
        fail("give either a PATH (a cached file, inside the configured roots) or --all", 2)
    service = container.cycle_service()
    report = service.restore_all() if restore_all else service.restore_path(str(path))
    print_report(console, report)
    if exit_code(report):
        fail(report.message or f"the restore ended with status {report.status}", exit_code(report))


@main.command()
@click.pass_context
@with_container
def serve(_ctx: click.Context, container: Container) -> None:
    """Run the web dashboard, the API and the scheduler (what the Docker image runs)."""
    from cacherr import runtime
    from cacherr.doctor import run_checks

    container.extras["doctor_checks"] = lambda: run_checks(container)  # the dashboard's Health page
    runtime.serve(container)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
@with_container
def doctor(_ctx: click.Context, container: Container, as_json: bool) -> None:
    """Check paths, filesystems, the database and Plex; print a fix for every failure."""
    import dataclasses
    import json

    from cacherr.doctor import print_report, run_checks

    results = run_checks(container)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in results], indent=2))
    else:
        print_report(results)
    if any(not r.ok for r in results):
        raise SystemExit(1)


@main.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Keep the demo lab in this folder.")
@click.option("--port", type=int, default=5445, show_default=True, help="Dashboard port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the dashboard listens on; 0.0.0.0 to open it from elsewhere (docker run -p).")
@click.option("--tick", type=float, default=20.0, show_default=True,
              help="Seconds between two things the emulated household does.")
@click.option("--scale", type=float, default=1.0, hidden=True, help="Media file size factor (tests: 0.05).")
def demo(directory: str | None, port: int, host: str, tick: float, scale: float) -> None:
    """Start a self-contained demo: an emulated Plex, a sandbox array and cache, and the dashboard."""
    from pathlib import Path

    from cacherr.demo.runner import DemoOptions, run_demo

    options = DemoOptions(Path(directory) if directory else None, port, tick, scale,
                          out=lambda line: click.echo(line, nl=True), host=host)
    raise SystemExit(run_demo(options))
