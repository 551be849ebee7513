"""The Dockerfile and the entrypoint pass their linters and keep the promises the docs make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> Path:
    path = BIN / name
    require(path.exists(), f"needs {name} in .venv/bin (pip install -e '.[dev]')")
    return path


def test_hadolint_passes() -> None:
    result = subprocess.run([str(_tool("hadolint")), "--no-color", "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_is_shellcheck_clean_posix_sh() -> None:
    script = ROOT / "docker" / "entrypoint.sh"
    assert script.read_text().startswith("#!/bin/sh\n")
    result = subprocess.run([str(_tool("shellcheck")), "-s", "sh", "-S", "style", str(script)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.MULTILINE)
    assert [s[1] for s in stages] == ["builder", "runtime"], "multi-stage: builder then runtime"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY src" not in runtime, "the runtime stage installs only the wheel, never the source tree"
    assert "--no-index --find-links=/wheels cacherr" in runtime
    assert 'VOLUME ["/config"]' in runtime
    assert "EXPOSE 5445" in runtime
    assert "STOPSIGNAL SIGTERM" in runtime
    assert re.search(r"HEALTHCHECK .*\n\s+CMD .*127\.0\.0\.1:%s/health.*WEB_PORT", runtime)
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cacherr-entrypoint"]' in runtime
    assert 'CMD ["cacherr", "serve"]' in runtime
    assert "USER " not in runtime, "the entrypoint drops root itself, after chowning /config"


def test_dockerignore_keeps_the_build_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*")] == "*"
    for needed in ("!pyproject.toml", "!README.md", "!src/", "!docker/"):
        assert needed in lines
    assert "!.venv/" not in lines
