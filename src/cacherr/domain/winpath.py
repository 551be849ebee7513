"""Plex's own paths when Plex runs on Windows (or reads a share from another machine).

``M:\\Media\\Movies\\x.mkv``, ``m:/Media/Movies/x.mkv`` and ``\\\\tower\\media\\Movies\\x.mkv`` are read as
Windows paths: backslash and slash both separate, the drive letter and the server and share names
match in any case, and so does the rest (Windows file systems ignore case). A POSIX path keeps the
backslash as a name character (``AC\\DC Live.mkv`` is a valid Linux name). String operations only.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

_DRIVE = re.compile(r"^[A-Za-z]:(?:[\\/]|$)")
_UNC = re.compile(r"^(?:\\\\|//)(?![\\/])")


def is_windows(path: str) -> bool:
    """True for a drive-letter path (``C:\\``, ``c:/``) or a UNC path (``\\\\server\\share``)."""
    return bool(_DRIVE.match(path)) or (bool(_UNC.match(path)) and "\\" in path)


@dataclass(frozen=True, slots=True)
class WinPath:
    """A Windows path split into its anchor (``C:`` or ``//server/share``) and its folders and file name
    (``.`` and ``..`` resolved). The original case is kept for display; comparisons ignore it."""

    anchor: str
    parts: tuple[str, ...]

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(p.casefold() for p in self.parts)

    def within(self, root: WinPath) -> bool:
        n = len(root.parts)
        return self.anchor.casefold() == root.anchor.casefold() and self.folded[:n] == root.folded

    def below(self, root: WinPath) -> str:
        """The path below ``root``, with ``/`` separators (the relative media path)."""
        return "/".join(self.parts[len(root.parts):])

    def __str__(self) -> str:
        anchor = self.anchor.replace("/", "\\")
        return anchor + "\\" + "\\".join(self.parts) if self.parts else anchor + "\\"


def parse(path: str) -> WinPath | None:
    """The ``WinPath`` of a Windows path; None for anything else (a POSIX path, a bare UNC server)."""
    if not is_windows(path):
        return None
    p = path.replace("\\", "/")
    if _DRIVE.match(p):
        anchor, rest = p[:2].upper(), p[2:]
    else:
        server, _, tail = p.lstrip("/").partition("/")
        share, _, rest = tail.partition("/")
        if not server or not share:
            return None
        anchor = f"//{server}/{share}"
    folded = posixpath.normpath("/" + rest)
    parts = tuple(x for x in folded.split("/") if x)
    return WinPath(anchor, parts)


def join(root: str, relative: str) -> str:
    """A relative media path (``/`` separators) below a Windows root, as Plex writes it (backslashes)."""
    parsed = parse(root)
    if parsed is None:
        raise ValueError(f"{root!r} is not a Windows path")
    return str(WinPath(parsed.anchor, (*parsed.parts, *(x for x in relative.split("/") if x))))
