"""The C library, loaded once for the engine's few calls that Python does not wrap (renameat2,
sync_file_range); ``fsutil`` and ``readback`` share this handle."""

from __future__ import annotations

import ctypes

LIBC = ctypes.CDLL(None, use_errno=True)
