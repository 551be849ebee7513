"""The OpenAPI document covers every API route, and docs/api.md is generated from the current one."""

from __future__ import annotations

import re
from pathlib import Path

from cacherr.web.openapi_md import current_markdown, main
from tests.web.conftest import World

REPO = Path(__file__).resolve().parents[2]


def test_every_api_route_is_documented(world: World) -> None:
    doc = world.client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = set()
    for rule in world.app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1") or rule.rule == "/health") or rule.endpoint == "openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served.update((m, path) for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
    assert served == documented
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "200" in op["responses"] or "202" in op["responses"], (method, path)
            if op.get("security") != []:
                assert "401" in op["responses"], (method, path)


def test_docs_api_md_is_current() -> None:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert text == current_markdown(), "docs/api.md is stale: run .venv/bin/python -m cacherr.web.openapi_md"
    assert main(["--check", "--out", str(REPO / "docs" / "api.md")]) == 0


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "api.md"
    stale.write_text("# old\n")
    assert main(["--check", "--out", str(stale)]) == 1
