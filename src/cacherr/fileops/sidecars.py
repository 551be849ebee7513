"""Files that travel with their video.

Subtitles always: ``Name.srt``, ``Name.en.srt``, ``Name.en.forced.srt``. A subtitle belongs to a video when its
name is the video's name without extension, then a dot, then anything (language, flags), and ends with a
subtitle extension. The match is exact on the stem, so ``Name 2.srt`` never travels with ``Name.mkv``.

Artwork and NFO files with ``CACHE_ARTWORK`` (they are what wakes the array when a client browses):
``Name.nfo``, ``Name-thumb.jpg``, ``Name-poster.jpg``, ... always belong to their video; folder artwork
(``poster.jpg``, ``fanart.jpg``, ``movie.nfo``, ...) only when the video is the only one in its folder (a movie's
folder; a season folder's art is shared by many episodes and stays where it is).
"""

from __future__ import annotations

import os
import stat

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".sub", ".idx", ".vtt", ".sup"})
VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".m4v", ".avi", ".mov", ".wmv", ".ts", ".m2ts", ".mpg", ".mpeg",
                              ".webm", ".flv", ".iso", ".vob"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tbn"})
ARTWORK_KINDS = frozenset({"thumb", "poster", "fanart", "banner", "landscape", "clearlogo", "clearart", "disc",
                           "logo", "backdrop", "folder", "cover", "keyart"})
FOLDER_NFO = frozenset({"movie.nfo"})


def is_artwork_of(video_name: str, candidate: str, only_video: bool) -> bool:
    """``candidate`` is artwork or an NFO of ``video_name`` (folder artwork counts when ``only_video``)."""
    stem, _ = os.path.splitext(video_name)
    if not stem or candidate.startswith(".") or candidate == video_name:
        return False
    base, ext = os.path.splitext(candidate)
    ext = ext.lower()
    if ext == ".nfo":
        return base == stem or (only_video and candidate.lower() in FOLDER_NFO)
    if ext not in IMAGE_EXTENSIONS:
        return False
    if base.startswith(stem + "-") and base[len(stem) + 1:].lower() in ARTWORK_KINDS:
        return True
    return only_video and base.lower() in ARTWORK_KINDS


def is_sidecar_of(video_name: str, candidate: str) -> bool:
    stem, _ = os.path.splitext(video_name)
    if candidate == video_name or not stem or candidate.startswith("."):
        return False
    _, ext = os.path.splitext(candidate)
    return ext.lower() in SUBTITLE_EXTENSIONS and candidate.startswith(stem + ".")


def find_sidecars(video_path: str, artwork: bool = False) -> list[str]:
    """Absolute paths of the regular files next to ``video_path`` that are its subtitles, and with ``artwork``
    its artwork and NFO files (sorted)."""
    folder, name = os.path.split(video_path)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    only_video = artwork and sum(os.path.splitext(e.name)[1].lower() in VIDEO_EXTENSIONS for e in entries) == 1
    found = []
    for entry in entries:
        if not (is_sidecar_of(name, entry.name) or (artwork and is_artwork_of(name, entry.name, only_video))):
            continue
        try:
            if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                found.append(entry.path)
        except OSError:
            continue
    return sorted(found)
