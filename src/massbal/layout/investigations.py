"""The Investigations sheet's layout, and the link from a flagged Balance or Supply row to
its first candidate (CONTRACT section 7). Pure layout, like layout.sheets."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from massbal.engine.investigate.explain_text import number
from massbal.layout.sheets import (
    _INVESTIGATIONS,
    _KEYS,
    FIRST_CANDIDATE,
    GO_TO,
    INVESTIGATION_NOTES,
    ColumnSpec,
    SheetSpec,
    convert_column,
    finding_links,
    number_format,
)

SHEET = "Investigations"


def _as_text(values: pd.Series) -> pd.Series:
    """Typed and suggested values as the user reads them: 1,000 / kg / 2025-03-31."""
    return values.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else number(v))


def investigations_sheet(inv: pd.DataFrame, unit: str) -> SheetSpec:
    frame = inv.reset_index(drop=True)
    columns, data = [], {}
    for col, header, kind, width in _INVESTIGATIONS:
        src = frame[col] if col in frame.columns else pd.Series([None] * len(frame), dtype=object)
        if col in ("typed", "suggested"):
            src = _as_text(src)
        columns.append(ColumnSpec(header, kind, width, number_format(kind, unit)))
        data[header] = convert_column(src, kind)
    display, location = finding_links(frame.assign(sheet=frame["sheet"].where(frame["cause"].notna(), None))
                                      if len(frame) else frame)
    at = [c.header for c in columns].index("Sheet")
    columns.insert(at, ColumnSpec(GO_TO, "link", 16))
    data[GO_TO] = display
    for header in INVESTIGATION_NOTES:
        kind = "note"
        columns.append(ColumnSpec(header, kind, 16 if header in ("Investigated by", "Date investigated") else 28))
    return SheetSpec(SHEET, tuple(columns), data, _KEYS[SHEET], INVESTIGATION_NOTES, {GO_TO: location})


def link_first_candidates(spec: SheetSpec, figures: pd.DataFrame, inv: pd.DataFrame, figure: str) -> SheetSpec:
    """Add a link column to Balance (or Supply): each flagged row to the Investigations row
    of its first candidate (or of the row saying there is none)."""
    n = len(figures)
    shown = pd.Series([None] * n, dtype=object)
    target = pd.Series([None] * n, dtype=object)
    if n and len(inv):
        name = "item" if figure == "Balance" else "ingredient"
        first = inv.reset_index(drop=True).assign(_sheet_row=lambda f: f.index + 2)
        first = first[first["figure"] == figure].drop_duplicates(["item", "owner", "start"])
        left = pd.DataFrame({"item": figures[name].astype(object).to_numpy(),
                             "owner": figures["owner"].astype(object).fillna("").to_numpy(),
                             "start": pd.to_datetime(figures["start"]).to_numpy()})
        right = first.assign(owner=first["owner"].astype(object).fillna(""), item=first["item"].astype(object),
                             start=pd.to_datetime(first["start"]))
        m = left.merge(right[["item", "owner", "start", "_sheet_row", "cause", "sheet", "cell"]],
                       on=["item", "owner", "start"], how="left")
        has = m["_sheet_row"].notna().to_numpy()
        label = (m["sheet"].astype(str) + "!" + m["cell"].astype(str) + " (" + m["cause"].astype(str) + ")") \
            .where(m["cause"].notna(), "none found")
        shown = label.where(has, None)
        target = ("'" + SHEET + "'!A" + m["_sheet_row"].astype("Int64").astype(str)).where(has, None)
    columns = list(spec.columns)
    at = len(columns) - len(spec.note_columns)
    columns.insert(at, ColumnSpec(FIRST_CANDIDATE, "link", 30))
    data = dict(spec.data)
    data[FIRST_CANDIDATE] = shown.astype("string").reset_index(drop=True)
    links = dict(spec.links)
    links[FIRST_CANDIDATE] = target.astype("string").reset_index(drop=True)
    return replace(spec, columns=tuple(columns), data=data, links=links)
