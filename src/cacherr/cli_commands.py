"""The remaining ``cacherr`` commands: cycle, plan, restore, serve, doctor, demo.

Each command owns one function here; capabilities fill theirs in.
"""

from __future__ import annotations

import click

from cacherr.bootstrap import Container
from cacherr.cli import main, not_built, with_container


@main.command()
@click.option("--dry-run", is_flag=True, help="Build and show the plan; touch no file (like TEST_MODE).")
@click.pass_context
@with_container
def cycle(ctx: click.Context, container: Container, dry_run: bool) -> None:
    """Run one full cache cycle now, then exit (0 on success)."""
    not_built("cycle", "the planner and cache cycle")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
@with_container
def plan(ctx: click.Context, container: Container, as_json: bool) -> None:
    """Print what a cycle would do and why, without doing it."""
    not_built("plan", "the planner and cache cycle")


@main.command()
@click.argument("path", required=False)
@click.option("--all", "restore_all", is_flag=True, help="Give the whole cache back to the array.")
@click.pass_context
@with_container
def restore(ctx: click.Context, container: Container, path: str | None, restore_all: bool) -> None:
    """Give one cached file (PATH) or everything (--all) back to the array."""
    not_built("restore", "the planner and cache cycle")


@main.command()
@click.pass_context
@with_container
def serve(ctx: click.Context, container: Container) -> None:
    """Run the web dashboard, the API and the scheduler (what the Docker image runs)."""
    not_built("serve", "the web dashboard")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
@with_container
def doctor(ctx: click.Context, container: Container, as_json: bool) -> None:
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
@click.option("--port", type=int, default=5445, show_default=True, help="Dashboard port.")
def demo(directory: str | None, port: int) -> None:
    """Start a self-contained demo: an emulated Plex, a sandbox array and cache, and the dashboard."""
    not_built("demo", "the packaging issue")
