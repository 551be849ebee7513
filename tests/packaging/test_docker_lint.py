"""The Dockerfile and the entrypoint pass their linters and keep the promises the docs make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    assert {s[0] for s in stages} == {"${BASE_IMAGE}"}, "both stages start from the BASE_IMAGE build argument"
    assert "ARG BASE_IMAGE=python:3.11-slim" in text.split("FROM", 1)[0]
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY src" not in runtime, "the runtime stage installs only the built virtualenv, never the source tree"
    assert "COPY --from=builder /opt/cacherr /opt/cacherr" in runtime
    assert 'VOLUME ["/config"]' in runtime
    assert "EXPOSE 5445" in runtime
    assert "STOPSIGNAL SIGTERM" in runtime
    assert re.search(r"HEALTHCHECK .*\n\s+CMD \[\"cacherr-healthcheck\"\]", runtime)
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cacherr-entrypoint"]' in runtime
    assert 'CMD ["cacherr", "serve"]' in runtime
    assert "USER " not in runtime, "the entrypoint drops root itself, after chowning /config"


def test_dockerfile_builds_the_same_with_every_builder() -> None:
    """No BuildKit-only syntax: the legacy builder, podman and buildah handle every line alike."""
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^#\s*syntax\s*=", text, re.MULTILINE | re.IGNORECASE), "a syntax line pulls a frontend image"
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "--mount" not in text, "RUN --mount needs BuildKit (and podman reuses the layer after a source change)"
    assert "--chmod" not in text and "--chown" not in text, "COPY --chmod needs BuildKit"
    assert "--require-hashes" in text and "requirements.lock" in text, "dependencies come from the hashed lock"
    assert "pip wheel --no-cache-dir --wheel-dir /wheels ." not in text, "never resolve the newest of everything"


def test_dockerfile_version_has_one_source() -> None:
    """pyproject.toml's version reaches the label through VERSION; the Dockerfile repeats no number."""
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG VERSION=\"\"$", text, re.MULTILINE)
    assert 'org.opencontainers.image.version="${VERSION}"' in text
    assert '"cacherr, version $VERSION"' in text, "the build fails when VERSION differs from the wheel"
    documentation = re.search(r'org\.opencontainers\.image\.documentation="([^"]+)"', text)
    assert documentation and documentation.group(1).startswith("https://")
    assert "COPY LICENSE" in text.split("AS runtime", 1)[1]


def test_version_comes_from_pyproject() -> None:
    import tomllib

    import cacherr

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cacherr.__version__ == version
    out = subprocess.run([str(BIN / "cacherr"), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"cacherr, version {version}"
    assert subprocess.run([str(ROOT / "scripts" / "version")], capture_output=True, text=True,
                          check=True).stdout.strip() == version
    assert not re.search(r'__version__ = "\d', (ROOT / "src" / "cacherr" / "__init__.py").read_text())


def test_dockerignore_keeps_the_build_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*")] == "*"
    for needed in ("!pyproject.toml", "!README.md", "!src/", "!docker/", "!LICENSE", "!requirements.lock",
                   "!requirements-build.lock"):
        assert needed in lines
    assert "!.venv/" not in lines


def test_entrypoint_drops_root_with_no_new_privs() -> None:
    text = (ROOT / "docker" / "entrypoint.sh").read_text()
    final = [line for line in text.splitlines() if line.startswith("exec setpriv")]
    assert final and all("--no-new-privs" in line for line in final)


@pytest.mark.parametrize("script", ["image-check", "lock", "version"])
def test_scripts_are_shellcheck_clean(script: str) -> None:
    result = subprocess.run([str(_tool("shellcheck")), "-S", "style", str(ROOT / "scripts" / script)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_image_check_after_the_tests() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "scripts/image-check" in lines
    tests = next(i for i, line in enumerate(lines) if line.startswith("scripts/test"))
    assert lines.index("scripts/image-check") > tests


def test_workflow_passes_actionlint() -> None:
    result = subprocess.run([str(_tool("actionlint")), "-shellcheck", str(_tool("shellcheck"))], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / ".github" / "workflows" / "image.yml").read_text()
    assert "linux/amd64,linux/arm64" in text and "ghcr.io/cacherr/cacherr" in text
    assert "startsWith(github.ref, 'refs/tags/v')" in text, "pushes on a tag only"


def test_actionlint_would_catch_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    result = subprocess.run([str(_tool("actionlint")), str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_dependency_updates_are_configured() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"pip", "docker", "github-actions"} <= ecosystems
