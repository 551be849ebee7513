"""The per-install Plex client identifier (``X-Plex-Client-Identifier``), made once and kept in CONFIG_DIR."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

FILE = "client_id"
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def load_or_create_client_id(config_dir: Path) -> str:
    """``$CONFIG_DIR/client_id``: read it, or write a new random one atomically (a bad file is replaced)."""
    path = Path(config_dir) / FILE
    try:
        value = path.read_text(encoding="utf-8").strip()
        if _VALID.match(value):
            return value
    except FileNotFoundError:
        pass
    value = f"cacherr-{uuid.uuid4()}"
    tmp = path.with_name(f".{FILE}.tmp")
    tmp.write_text(value + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return value
