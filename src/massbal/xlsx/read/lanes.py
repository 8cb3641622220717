"""The input sheets of a big workbook read by two calamine readers at once (issue 15).

calamine parses a sheet without holding Python's lock, so on two cores a second reader,
opened on the same bytes, parses some sheets while the first parses the others. The
second reader pays its own opening (the shared strings, again): worth it only where the
sheets are big and split fairly evenly. Each reader is used by one thread only.

The result is the one-reader result: each sheet is read by the same code, the tables are
put back in the workbook's order, and the first failing sheet in that order raises, as it
would have alone.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# below this many bytes of sheet XML (about 50,000 rows) one reader is as fast
MIN_BYTES = 8 << 20
# the second reader must take at least this share of the work off the first
MIN_SAVED = 0.25


def split(sizes: dict[str, int], opening: int) -> tuple[list[str], list[str]] | None:
    """The sheets for the first reader and for the second, each in the order given, or
    None when one reader is about as fast. sizes: each sheet's bytes of XML, in workbook
    order; opening: the second reader's head start to make up (its shared strings' bytes).
    The biggest sheets first, each to the reader that would finish it sooner."""
    total = sum(sizes.values())
    if len(sizes) < 2 or total < MIN_BYTES:
        return None
    load = [0, opening]
    lane: dict[str, int] = {}
    for sheet in sorted(sizes, key=lambda s: -sizes[s]):
        i = 0 if load[0] <= load[1] else 1
        lane[sheet] = i
        load[i] += sizes[sheet]
    if max(load) > (1 - MIN_SAVED) * total or not load[1] - opening:
        return None
    return ([s for s in sizes if lane[s] == 0], [s for s in sizes if lane[s] == 1])


def free_cores() -> bool:
    """Two cores for this process, one of them idle over the last minute."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # (macOS, Windows)
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return cores >= 2 and busy < cores - 0.5


def read_sheets(sheets: list[str], reader: R, load: Callable[[R, str], T],
                lanes: tuple[list[str], list[str]] | None = None,
                second: Callable[[], R] | None = None) -> dict[str, T]:
    """load(reader, sheet) for every sheet, in order; with lanes (split's) the second
    lane's sheets are read on another thread by the reader second() opens. Any sheet the
    second reader did not get to (it could not be opened) is read by the first after."""
    got: dict[str, T | BaseException] = {}
    if lanes is not None and second is not None:
        def other() -> None:
            try:
                mine = second()
            except Exception:  # (its sheets are read by the first reader instead)
                return
            _lane(mine, lanes[1], load, got)
        # a daemon, not joined on Ctrl-C: an interrupted run ends without waiting for it
        thread = threading.Thread(target=other, name="massbal-read-2", daemon=True)
        thread.start()
        _lane(reader, lanes[0], load, got)
        thread.join()
    out: dict[str, T] = {}
    for sheet in sheets:
        if sheet not in got:
            _lane(reader, [sheet], load, got)
        value = got[sheet]
        if isinstance(value, BaseException):
            raise value
        out[sheet] = value
    return out


def _lane(reader, sheets: list[str], load, got: dict) -> None:
    """Each sheet in turn, up to the first that fails (its error kept in its place)."""
    for sheet in sheets:
        try:
            got[sheet] = load(reader, sheet)
        except Exception as e:  # (raised by read_sheets, in the workbook's order)
            got[sheet] = e
            return
