"""`cacherr demo --host` lets the demo be opened from another machine (issue 14, item 9)."""

from __future__ import annotations

from click.testing import CliRunner

from cacherr.cli import main


def test_demo_has_a_host_option() -> None:
    out = CliRunner().invoke(main, ["demo", "--help"], terminal_width=120)
    assert out.exit_code == 0 and "--host" in out.output and "0.0.0.0" in out.output

