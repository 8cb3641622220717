"""glibc's heap for one massbal run (cli.console.start_reading); nothing elsewhere.

- One arena: by default glibc gives each thread its own malloc arena. What the reading
  threads free there (calamine's cells of a sheet, the Arrow-to-pandas steps) is never
  reused by the main thread, which takes fresh pages instead: the 980k reconcile then
  faulted ~0.5 s more system time and peaked 80-130 MB higher. So threads share the
  process's one arena. (The idea and the first measure: session 9's branch speed-process.)
- Freed memory kept: by default an array over 128 KB-32 MB is mapped from the system and
  unmapped when freed, and the heap's freed top is handed back, so the next array of a
  million rows faults its pages in again; the engine makes and drops hundreds of them. A
  run of reconcile keeps what it frees for its next arrays instead: at 980k movements its
  system time went from ~2.5 s to ~1.4 s, its peak up by ~80 MB (issue 15, session 15).
  Only for a run that ends (the command line); a process that stays (Excel's add-in
  server) keeps glibc's defaults.
Elsewhere (macOS, Windows, musl) mallopt does not exist or does nothing, and is not needed.
"""
from __future__ import annotations

import ctypes
import sys

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def _glibc(name: str):
    """glibc's function `name`, or None where there is none (not Linux, musl, ...)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name, None)
    except OSError:
        return None


def _mallopt(*settings: tuple[int, int]) -> None:
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        for param, value in settings:
            mallopt(param, ctypes.c_int(value))


def one_arena() -> None:
    """Threads that first allocate from now on use the one arena (glibc keeps the limit for
    the rest of the process)."""
    _mallopt((_M_ARENA_MAX, 1))


def keep_freed_memory() -> None:
    """From now on, arrays up to 32 MB (glibc's highest threshold) come from the heap, and
    the heap's freed memory stays with the process for its next arrays."""
    _mallopt((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 256 << 20))


def hand_back_freed_memory() -> None:
    """The heap's freed memory handed back to the system (malloc_trim), and from now on its
    freed top again when over 64 MB: for a run's last stage (the write builds sheets far
    bigger than any array), which would else add its own memory to what the engine freed."""
    _mallopt((_M_TRIM_THRESHOLD, 64 << 20), (_M_TOP_PAD, 128 << 10))
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)
