"""The ``cacherr`` command line. Each command validates settings once, then calls services.

The group and the shared helpers live in ``cli_base``; the commands in ``cli_commands`` (imported at the end,
which registers them on the group)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from cacherr.cli_base import Container, console, err_console, fail, main, with_container
from cacherr.settings import Settings, display_value, field_meta

__all__ = ["console", "err_console", "fail", "main", "with_container"]


@main.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--all", "show_all", is_flag=True, help="Include advanced settings.")
@click.pass_context
@with_container
def config_cmd(_ctx: click.Context, container: Container, as_json: bool, show_all: bool) -> None:
    """Show the effective settings, where each value comes from, secrets masked."""
    s, store = container.settings, container.store
    rows = []
    for name in Settings.model_fields:
        meta = field_meta(name)
        if meta.get("advanced") and not show_all and store.source_of(name) == "default":
            continue
        rows.append({"name": name, "value": display_value(s, name), "source": store.source_of(name),
                     "group": meta.get("group", "")})
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=f"Cacherr settings ({store.path})", show_lines=False)
    for col in ("group", "setting", "value", "source"):
        table.add_column(col, overflow="fold")  # a long value folds onto the next line, never cut with "…"
    for r in rows:
        table.add_row(r["group"], r["name"], json.dumps(r["value"], default=str), r["source"])
    console.print(table)


from cacherr import cli_commands  # noqa: E402,F401  (registers the remaining commands on the group)
