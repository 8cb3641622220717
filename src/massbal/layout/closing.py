"""The Change log, Closed periods and hidden state sheets, as pure layout (SheetSpecs).

Like sheets.py, no file library here: the package writer and the xlwings adapter both
write these specs, and both read the sheets back through the functions below, from rows
of canonical cell text (engine.changelog.canon_value), so an entry reads the same from a
file and from an open workbook.
"""
from __future__ import annotations

import pandas as pd

from massbal.engine.record.changelog import canon_value
from massbal.engine.record.closing import CLOSED_SHEET, BookState
from massbal.engine.record.logchain import LOG_HEADERS, LogEntry
from massbal.layout.sheets import STATUS_COLORS, ColumnSpec, SheetSpec, number_format

LOG_SHEET = "Change log"
STATE_SHEET = "massbal state"   # very hidden: what the next write needs to log its changes
STATE_HEADER = "State"
STATE_CHUNK = 32000             # characters per cell (Excel's limit is 32,767)
RECORD_SHEETS = (CLOSED_SHEET, LOG_SHEET, STATE_SHEET)

_LOG_KINDS = {"Entry": ("integer", 8), "Time": ("text", 21), "User": ("text", 14), "Action": ("text", 14),
              "Change": ("text", 10), "Sheet": ("text", 14), "Row": ("integer", 7), "Dated": ("text", 11),
              "Column": ("text", 16),
              "Old value": ("text", 30), "New value": ("text", 40), "Hash": ("text", 66)}
CLOSED_COLUMNS = (("Through", "text", 12), ("Action", "text", 18), ("By", "text", 14), ("On", "text", 21),
                  ("Reason", "text", 30), ("Item", "text", 22), ("Owner", "text", 12), ("Start", "text", 12),
                  ("End", "text", 12), ("Expected ending", "quantity", 16), ("Counted ending", "quantity", 16),
                  ("Variance", "quantity", 14), ("Status", "status", 12), ("Rows", "integer", 10),
                  ("Fingerprint", "text", 66))


def _series(values: list, kind: str) -> pd.Series:
    if kind == "integer":
        return pd.Series(values, dtype="Int64")
    if kind == "quantity":
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64")
    return pd.Series([None if v is None or v == "" else str(v) for v in values], dtype="string")


def log_spec(entries: list[LogEntry], unit: str = "lb") -> SheetSpec:
    rows = [e.cells() for e in entries]
    cols, data = [], {}
    for j, h in enumerate(LOG_HEADERS):
        kind, width = _LOG_KINDS[h]
        cols.append(ColumnSpec(h, kind, width, number_format(kind, unit)))
        data[h] = _series([r[j] for r in rows], kind)
    return SheetSpec(LOG_SHEET, tuple(cols), data, (), (), {}, {})


def closed_spec(lines: list[dict], unit: str = "lb") -> SheetSpec:
    cols, data = [], {}
    for h, kind, width in CLOSED_COLUMNS:
        cols.append(ColumnSpec(h, kind, width, number_format(kind, unit)))
        data[h] = _series([ln.get(h) for ln in lines], kind)
    return SheetSpec(CLOSED_SHEET, tuple(cols), data, (), (), {}, dict(STATUS_COLORS))


def state_spec(state: BookState) -> SheetSpec:
    text = state.to_text()
    chunks = [text[i:i + STATE_CHUNK] for i in range(0, len(text), STATE_CHUNK)] or [""]
    return SheetSpec(STATE_SHEET, (ColumnSpec(STATE_HEADER, "text", 20),),
                     {STATE_HEADER: pd.Series(chunks, dtype="string")}, (), (), {}, {}, very_hidden=True)


def record_specs(entries: list[LogEntry], closed_lines: list[dict], state: BookState, unit: str) -> list[SheetSpec]:
    return [closed_spec(closed_lines, unit), log_spec(entries, unit), state_spec(state)]


# ------------------------------------------------------------------ reading back

def table_rows(grid: list[list], wanted: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Find the header row holding `wanted`; return its headers and the rows under it as
    (worksheet row, canonical texts). grid: rows of cell values from A1 (None: empty)."""
    for r, row in enumerate(grid):
        head = [canon_value(v) for v in row]
        if wanted in head:
            first = head.index(wanted)
            head = head[first:]
            out = []
            for k, body in enumerate(grid[r + 1:], start=r + 2):
                texts = [canon_value(v) for v in body[first:first + len(head)]]
                texts += [""] * (len(head) - len(texts))
                if any(texts):
                    out.append((k, texts))
            return head, out
    return [], []


def entries_from(head: list[str], rows: list[tuple[int, list[str]]]) -> list[LogEntry]:
    at = {h: i for i, h in enumerate(head)}

    def get(texts, h):
        i = at.get(h)
        return texts[i] if i is not None and i < len(texts) else ""

    out = []
    for r, t in rows:
        try:
            number = int(float(get(t, "Entry")))
        except ValueError:
            number = -1
        row = get(t, "Row")
        out.append(LogEntry(number, get(t, "Time"), get(t, "User"), get(t, "Action"), get(t, "Change"),
                            get(t, "Sheet"), int(float(row)) if row else None, get(t, "Column"),
                            get(t, "Old value"), get(t, "New value"), get(t, "Hash"), r, get(t, "Dated")))
    return out


def closed_lines_from(head: list[str], rows: list[tuple[int, list[str]]]) -> list[dict]:
    kinds = {h: k for h, k, _ in CLOSED_COLUMNS}
    out = []
    for _, t in rows:
        line = {}
        for h, v in zip(head, t, strict=False):
            if h in kinds and v != "":
                line[h] = float(v) if kinds[h] in ("quantity", "integer") and _is_number(v) else v
        out.append(line)
    return out


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def state_from(rows: list[tuple[int, list[str]]]) -> BookState | None:
    text = "".join(t[0] for _, t in rows if t)
    return BookState.from_text(text) if text else None
