"""The workbook's Closed periods and Change log in the inspector's copy (CONTRACT s.8).

The copy carries every close and reopen, and the Change log entries about rows dated in
the exported period (plus those about no row: closes, reopens, the first record). Each
entry keeps its hash and the hash of the entry before it in the workbook, so each one can
be checked on its own; the copy's fingerprint covers both sheets like every other.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from massbal.engine.record.logchain import GENESIS, LOG_HEADERS
from massbal.layout.closing import CLOSED_COLUMNS


def record_frames(source, start, end) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(Closed periods, Change log) of the workbook file `source` for [start, end] (ISO
    text or dates; None: open-ended); None where the workbook has none."""
    from massbal.xlsx.write.change_log import read_kept
    if not source or not Path(str(source)).is_file():
        return None, None
    kept = read_kept(source)
    closed = None
    if kept.closed_lines:
        heads = [h for h, _, _ in CLOSED_COLUMNS]
        closed = pd.DataFrame([[ln.get(h) for h in heads] for ln in kept.closed_lines], columns=heads)
    if not kept.entries:
        return closed, None
    lo = "" if start is None else pd.Timestamp(start).strftime("%Y-%m-%d")
    hi = "9999" if end is None else pd.Timestamp(end).strftime("%Y-%m-%d")
    rows, prev = [], GENESIS
    for e in kept.entries:
        if not e.dated or lo <= e.dated <= hi:
            rows.append(e.cells() + [prev])
        prev = e.hash
    log = pd.DataFrame(rows, columns=list(LOG_HEADERS) + ["Previous hash"])
    return closed, log

