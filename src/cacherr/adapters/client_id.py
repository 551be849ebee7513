"""The install's fixed ``X-Plex-Client-Identifier``: made once, kept in ``$CONFIG_DIR/client_id``.

Plex and plex.tv know a client by this identifier; a new one after every container rebuild makes Plex
announce a new device each time. Used by the Plex adapter and by the sign-in (PIN) flow.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

FILE_NAME = "client_id"


def _valid(text: str) -> bool:
    return 8 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def load_or_create_client_id(config_dir: Path) -> str:
    """The identifier stored in ``config_dir/client_id``; a new random one is written there (mode 0600)
    when the file is missing or unreadable as an identifier. Safe when several threads or processes ask
    at once: the first file to land wins (``link`` does not overwrite) and everyone returns it."""
    path = Path(config_dir) / FILE_NAME
    current = _read(path)
    if _valid(current):
        return current
    new = f"cacherr-{uuid.uuid4()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (new + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if current:  # a garbled file: replace it
            os.replace(tmp, path)
            return new
        try:
            os.link(tmp, path)
        except FileExistsError:  # another caller got there first (or an unreadable file is in the way)
            winner = _read(path)
            if _valid(winner):
                return winner
            os.replace(tmp, path)
        return new
    finally:
        tmp.unlink(missing_ok=True)
