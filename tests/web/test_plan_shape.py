"""`cacherr plan --json` prints the plan in the shape the API serves it."""

from __future__ import annotations

import io
import json

from rich.console import Console

from cacherr.cli_cycle import print_plan
from tests.web.conftest import World, sample_plan


def test_cli_plan_json_has_the_shape_of_the_api_plan(world: World) -> None:
    out = io.StringIO()
    print_plan(Console(file=out, width=200), sample_plan(), as_json=True)
    printed = json.loads(out.getvalue())
    world.cycle.plan = sample_plan()
    served = world.client.get("/api/v1/plan").get_json()["plan"]
    assert printed == served
    assert printed["actions"][0]["reason"] == "next episode" and printed["skips"][0]["title"] == "Huge Movie"
