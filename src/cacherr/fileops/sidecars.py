"""Subtitle files that travel with their video: ``Name.srt``, ``Name.en.srt``, ``Name.en.forced.srt``.

A sidecar belongs to a video when its name is the video's name without extension, then a dot, then
anything (language, flags), and ends with a subtitle extension. The match is exact on the stem, so
``Name 2.srt`` never travels with ``Name.mkv``.
"""

from __future__ import annotations

import os
import stat

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".sub", ".idx", ".vtt", ".sup"})


def is_sidecar_of(video_name: str, candidate: str) -> bool:
    stem, _ = os.path.splitext(video_name)
    if candidate == video_name or not stem or candidate.startswith("."):
        return False
    _, ext = os.path.splitext(candidate)
    return ext.lower() in SUBTITLE_EXTENSIONS and candidate.startswith(stem + ".")


def find_sidecars(video_path: str) -> list[str]:
    """Absolute paths of the regular files next to ``video_path`` that are its subtitles (sorted)."""
    folder, name = os.path.split(video_path)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not is_sidecar_of(name, entry.name):
            continue
        try:
            if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                found.append(entry.path)
        except OSError:
            continue
    return sorted(found)
