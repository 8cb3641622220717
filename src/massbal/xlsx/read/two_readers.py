"""The input sheets parsed on two calamine readers at once, where that pays (issue 15).

calamine parses a sheet without holding Python's lock, so a second reader on a second
thread parses another sheet on the other core. A reader cannot be shared between threads,
and opening one parses the workbook's shared strings again, so a second reader is opened
only when the sheets left to it outweigh that. The cost model is the parts' inflated
bytes, which track calamine's time closely (about 60 MB a second on the bench machine, for
a sheet and for the shared strings alike).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")  # what loading one sheet gives

# Below this many bytes of sheets in all (about a quarter of a second of parsing), a second
# thread is not worth starting.
MIN_BYTES = 16 << 20
# A second reader must bring the estimated time down to this share of one reader's.
MIN_GAIN = 0.85


def two_readers_pay(sizes: list[int], open_cost: int, cores: int | None = None) -> bool:
    """Whether sheets of these sizes finish sooner on two readers, the second starting
    `open_cost` bytes late (its own opening), each taking the biggest sheet left when free.
    Never on one core (cores: this process's, by default): the second opening would only
    add its time."""
    alone = sum(sizes)
    if alone < MIN_BYTES or len(sizes) < 2 or (usable_cores() if cores is None else cores) < 2:
        return False
    free = [0, open_cost]
    for size in sorted(sizes, reverse=True):
        first = free.index(min(free))
        free[first] += size
    return max(free) <= MIN_GAIN * alone


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system says, as in a
    container or under taskset), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_sheets(sheets: dict[str, int], load: Callable[[object, str], R], reader: object,
                open_second: Callable[[], object] | None) -> dict[str, R]:
    """load(reader, sheet) for every sheet (sheet -> its size in bytes), biggest first.

    With open_second, a second thread opens another reader and takes sheets too. If any
    load fails, the error raised is that of the first failing sheet in the given order,
    as one reader working through them in that order would have met it. A second reader
    that cannot be opened leaves its share to the first."""
    order = {sheet: i for i, sheet in enumerate(sheets)}
    queue = sorted(sheets, key=lambda s: -sheets[s])
    lock = threading.Lock()
    done: dict[str, R] = {}
    failed: dict[str, BaseException] = {}

    def next_sheet() -> str | None:
        with lock:
            # once a sheet failed, sheets after it in the given order cannot change the error
            last = min((order[s] for s in failed), default=len(order))
            queue[:] = [s for s in queue if order[s] < last]
            return queue.pop(0) if queue else None

    def work(reader) -> None:
        while (sheet := next_sheet()) is not None:
            try:
                result = load(reader, sheet)
            except Exception as e:  # raised again by the caller below, in the sheets' order
                with lock:
                    failed[sheet] = e
                continue
            with lock:
                done[sheet] = result

    def second() -> None:
        try:
            other = open_second()
        except Exception:  # the first reader opened this workbook: it takes the share
            return
        work(other)

    helper = None
    if open_second is not None:
        # a daemon, like the reading thread it works beside: Ctrl-C does not wait for it
        helper = threading.Thread(target=second, name="massbal-read-2", daemon=True)
        helper.start()
    work(reader)
    if helper is not None:
        helper.join()
    if failed:
        raise failed[next(s for s in sheets if s in failed)]
    return {sheet: done[sheet] for sheet in sheets}
