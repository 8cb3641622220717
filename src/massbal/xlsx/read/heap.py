"""glibc's heap around the reading thread (cli.console.start_reading); nothing elsewhere.

By default glibc gives each thread its own malloc arena. What the reading threads free
there (calamine's cells of a sheet, the Arrow-to-pandas steps) is never reused by the
main thread, which takes fresh pages instead: the 980k reconcile then faulted ~0.5 s more
system time and peaked 80-130 MB higher. So threads share the process's one arena.
Elsewhere (macOS, Windows, musl) the call does not exist, and is not needed.
(The idea and the first measure: session 9's branch speed-process, bf0ecdb.)
"""
from __future__ import annotations

import ctypes
import sys

_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)


def one_arena() -> None:
    """Threads that first allocate from now on use the one arena (glibc keeps the limit for
    the rest of the process)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return
    if hasattr(libc, "mallopt"):
        libc.mallopt(_M_ARENA_MAX, 1)
