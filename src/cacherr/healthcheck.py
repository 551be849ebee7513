"""``cacherr-healthcheck``: the image's HEALTHCHECK. Exit 0 when ``/health`` answers 200, 1 otherwise.

The port and address follow the server's own precedence: a non-blank ``WEB_PORT``/``WEB_HOST`` in the
environment, else the value saved from the dashboard (``$CONFIG_DIR/cacherr_config.json``), else the
default 5445. Blank variables count as unset (Unraid templates pass blank fields as empty strings). A
wildcard address (``0.0.0.0``, ``::``, blank) is asked on loopback; one specific address, such as the
container's own, is asked there, since the server listens nowhere else.

Standard library only, so the check stays quick and cannot be broken by a settings error.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PORT = 5445
WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}  # noqa: S104  (addresses compared, never bound)
CONFIG_FILE = "cacherr_config.json"


def _saved(env: Mapping[str, str]) -> dict[str, object]:
    path = Path(env.get("CONFIG_DIR") or "/config") / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _setting(name: str, env: Mapping[str, str], saved: Mapping[str, object]) -> str:
    value = (env.get(name) or "").strip()
    if value:
        return value
    stored = saved.get(name)
    return str(stored).strip() if stored is not None else ""


def health_urls(env: Mapping[str, str]) -> list[str]:
    """The URLs to try, in order: the first that answers 200 makes the container healthy."""
    saved = _saved(env)
    port_text = _setting("WEB_PORT", env, saved)
    port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else DEFAULT_PORT
    host = _setting("WEB_HOST", env, saved)
    if host in WILDCARDS:
        hosts = ["127.0.0.1", "[::1]"] if host in {"::", "[::]"} else ["127.0.0.1"]
    else:
        bare = host.strip("[]")
        hosts = [f"[{bare}]" if ":" in bare else bare]
    return [f"http://{h}:{port}/health" for h in hosts]


def check(env: Mapping[str, str], timeout: float = 8.0) -> tuple[bool, str]:
    problems = []
    for url in health_urls(env):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  (http only, our own URL)
                if response.status == 200:
                    return True, f"{url}: 200"
                problems.append(f"{url}: {response.status}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append(f"{url}: {exc}")
    return False, "; ".join(problems)


def main() -> None:
    ok, detail = check(os.environ)
    print(detail)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
