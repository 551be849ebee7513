"""The ``cacherr`` group and what every command shares (the console, ``fail``, ``with_container``).

Split from ``cli.py`` so that the command modules import this, not ``cli`` (which imports them): no circle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from cacherr import __version__
from cacherr.bootstrap import Container, build_container
from cacherr.domain.errors import CacherrError, ConfigError, StateStoreError
from cacherr.settings import missing_for_plex

NEEDS_PLEX = frozenset({"cycle", "plan"})

F = TypeVar("F", bound=Callable[..., Any])
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)


def with_container(fn: F) -> F:
    """Build the container from settings; turn configuration errors into one line per problem."""

    @wraps(fn)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        try:
            container = build_container(ctx.obj.get("config_dir"), console_log=ctx.obj.get("console_log", True))
        except ConfigError as exc:
            err_console.print("[bold red]Cacherr cannot start: invalid settings[/]")
            for line in exc.problems:
                err_console.print(f"  {line}", soft_wrap=True, markup=False)
            sys.exit(2)
        missing = missing_for_plex(container.settings) if ctx.command.name in NEEDS_PLEX else []
        if missing:
            container.close()
            err_console.print(f"[bold red]cacherr {ctx.command.name}: missing settings[/]")
            for line in missing:
                err_console.print(f"  {line}", soft_wrap=True, markup=False)
            sys.exit(2)
        try:
            return fn(ctx, container, *args, **kwargs)
        except (StateStoreError, ConfigError) as exc:
            fail(str(exc), 2)
        except CacherrError as exc:
            fail(str(exc), 1)
        finally:
            container.close()

    return wrapper  # type: ignore[return-value]


class WrappingGroup(click.Group):
    """A group whose command list wraps each command's summary to the terminal instead of cutting it with "..."."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str(limit=10_000)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


# Help follows the terminal's width (COLUMNS), wrapping rather than cutting; 200 is only a bound for readability.
@click.group(cls=WrappingGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 200})
@click.version_option(__version__, prog_name="cacherr")
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CONFIG_DIR",
              help="Folder for settings, database and logs (default /config in Docker, ~/.config/cacherr else).")
@click.pass_context
def main(ctx: click.Context, config_dir: Path | None) -> None:
    """Cacherr keeps the media your Plex users are about to watch on the fast cache drive,
    and gives the array back what they have finished, without ever losing a file.

    Settings come from environment variables, then $CONFIG_DIR/cacherr_config.json, then defaults
    (see `cacherr config` and docs/configuration.md).
    """
    ctx.ensure_object(dict)
    ctx.obj["config_dir"] = config_dir
    ctx.obj["console_log"] = ctx.invoked_subcommand in ("serve", "demo")


__all__ = ["Container", "console", "err_console", "fail", "main", "with_container"]
