"""The five sheets Reconcile writes, as pure layout (CONTRACT.md section 3).

`result_sheets` turns a Reconciliation into SheetSpecs: the headers in the user's words,
what kind of value each column holds, the data as whole columns, which columns identify
a row across runs (so a user's notes find their row again: layout.notes) and which
colours mark a status. No file library is imported here: the package writer (massbal.xlsx.write.write_results) and
the xlwings adapters both lay the sheets out from these specs, so every face shows the
same sheet.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from massbal.engine import result as R
from massbal.engine.schema import LIVESTOCK_SHEETS, OUTPUT_SHEETS, USER_NOTE_COLUMNS

ColumnKind = Literal["text", "date", "quantity", "percent", "integer", "status", "link", "note"]

# Cell fill and font colours (RGB hex) for statuses: Excel's own Good / Neutral / Bad.
COLORS: dict[str, tuple[str, str]] = {
    "green": ("C6EFCE", "006100"),
    "amber": ("FFEB9C", "9C5700"),
    "red": ("FFC7CE", "9C0006"),
}
STATUS_COLORS: dict[str, str] = {
    "PASS": "green",
    "INVESTIGATE": "amber",
    "NO COUNT": "amber",
    "NEGATIVE": "red",
    "OVERSOLD": "red",
    "error": "red",
    "warning": "amber",
    # farms (CONTRACT section 6)
    "OVER EXPECTED": "red",
    "UNDER EXPECTED": "amber",
    "NO HARVEST": "amber",
    "NO EXPECTED": "amber",
}

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = '0.00"%"'  # the cell holds percentage points (1.36 means 1.36 %), as the JSON does
INTEGER_FORMAT = "0"

# A workbook-level hidden defined name marks each sheet massbal wrote: `_massbal.Balance`
# refers to `'Balance'!$A$1`. It travels with the sheet when Excel renames or moves it,
# and is how a later run tells its own sheet from a user's sheet of the same name.
MARKER_PREFIX = "_massbal."

def marker_name(sheet: str) -> str:
    """Hidden defined name marking the sheet massbal wrote for output `sheet`."""
    return MARKER_PREFIX + re.sub(r"[^A-Za-z0-9_.]", "_", sheet)


def quantity_format(unit: str) -> str:
    """Number format that shows the report unit after the figure: #,##0.00 "lb"."""
    clean = str(unit).replace('"', "").replace("\\", "")
    return f'#,##0.00 "{clean}"'


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    kind: ColumnKind
    width: float
    number_format: str | None = None
    wrap: bool = False    # long text wraps inside the column, top-aligned (messages)


@dataclass(frozen=True)
class PrintSetup:
    """How a result sheet prints: one place, so every sheet that declares a SheetSpec
    prints alike (the inspector's export uses the same settings).

    repeat_columns: leading columns repeated on every page (the item), besides the
    header row. area_columns: print only this many leading columns (the Dashboard's
    charts, not its data table). row_breaks: page breaks after these sheet rows.
    """
    landscape: bool = True
    fit_width: bool = True
    repeat_header: bool = True
    repeat_columns: int = 1
    area_columns: int | None = None
    area_rows: int | None = None
    row_breaks: tuple[int, ...] = ()


PRINT = PrintSetup()


@dataclass(frozen=True)
class SheetSpec:
    """One output sheet and its Excel Table (same name).

    data: header -> column values, all the same length; text as pandas string dtype
        (<NA> when empty), dates as datetime64 (NaT), quantity and percent as float (NaN),
        integer as Int64 (<NA>). Note columns carry no data: their content is the user's.
    links: header -> internal link target per row ("'Receipts'!D17"), None for no link.
    keys: headers whose values identify a row across runs (empty: rows are not matched).
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    data: Mapping[str, pd.Series]
    keys: tuple[str, ...] = ()
    note_columns: tuple[str, ...] = ()
    links: Mapping[str, pd.Series] = field(default_factory=dict)
    status_colors: Mapping[str, str] = field(default_factory=lambda: dict(STATUS_COLORS))
    # header -> per row, the value whose colour a status cell takes where that is not the
    # status itself; <NA>: no colour (a farm's month that owed no count shows NO COUNT plain)
    status_keys: Mapping[str, pd.Series] = field(default_factory=dict)
    very_hidden: bool = False  # massbal's own state: not shown in Excel's Unhide list
    print_setup: PrintSetup = PRINT
    origin: tuple[int, int] = (1, 1)   # (row, column) of the header row's first cell on a new sheet
    # dashboard.ChartSpec: native charts over this table's cells. None: the sheet's drawing
    # is the user's and is kept; a tuple (even empty): the drawing is massbal's, replaced
    charts: tuple | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def nrows(self) -> int:
        for s in self.data.values():
            return len(s)
        return 0

    def column(self, header: str) -> ColumnSpec:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)


# (frame column, header, kind, width) per sheet, in the order the sheet shows them.
_BALANCE = [
    ("item", "Item", "text", 24), ("owner", "Owner", "text", 14),
    ("start", "Start", "date", 12), ("end", "End", "date", 12),
    ("beginning", "Beginning", "quantity", 14), ("received", "Received", "quantity", 14),
    ("harvested", "Harvested", "quantity", 14),
    ("produced", "Produced", "quantity", 14), ("used", "Used", "quantity", 14),
    ("farm_use", "Farm use", "quantity", 14), ("applied", "Applied", "quantity", 14),
    ("shipped", "Shipped", "quantity", 14), ("losses", "Losses", "quantity", 14),
    ("expected_ending", "Expected ending", "quantity", 16),
    ("counted_ending", "Counted ending", "quantity", 16),
    ("variance", "Variance", "quantity", 14), ("variance_pct", "Variance %", "percent", 12),
    ("tolerance_pct", "Tolerance %", "percent", 12), ("status", "Status", "status", 13),
]
_SUPPLY = [
    ("ingredient", "Ingredient", "text", 24), ("owner", "Owner", "text", 14),
    ("start", "Start", "date", 12), ("end", "End", "date", 12),
    ("available", "Available", "quantity", 14),
    ("shipped_equivalent", "Shipped equivalent", "quantity", 18),
    ("losses_equivalent", "Losses equivalent", "quantity", 18),
    ("farm_use_equivalent", "Farm use equivalent", "quantity", 18),
    ("on_hand_equivalent", "On hand equivalent", "quantity", 18),
    ("unaccounted", "Unaccounted", "quantity", 14),
    ("tolerance_pct", "Tolerance %", "percent", 12), ("status", "Status", "status", 13),
]
_YIELD = [
    ("batch", "Batch", "text", 14), ("product", "Product", "text", 24),
    ("date", "Date", "date", 12), ("owner", "Owner", "text", 14),
    ("input", "Input", "quantity", 14), ("output", "Output", "quantity", 14),
    ("process_loss", "Process loss", "quantity", 14),
    ("documented_loss", "Documented loss", "quantity", 16),
    ("undocumented_loss", "Undocumented loss", "quantity", 18),
    ("yield_pct", "Yield %", "percent", 10),
]
_FINDINGS = [
    ("severity", "Severity", "status", 10), ("code", "Code", "text", 24),
    ("sheet", "Sheet", "text", 14), ("row", "Row", "integer", 8),
    ("column", "Column", "text", 16), ("message", "Message", "wrap", 60),
]
_LEDGER = [
    ("date", "Date", "date", 12), ("kind", "Kind", "text", 12), ("item", "Item", "text", 24),
    ("lot", "Lot", "text", 14), ("owner", "Owner", "text", 14),
    ("location", "Location", "text", 14), ("qty", "Quantity", "quantity", 14),
    ("effect", "Effect", "quantity", 14), ("batch", "Batch", "text", 12),
    ("partner", "Partner", "text", 18), ("certificate", "Certificate", "text", 16),
    ("organic", "Organic", "text", 9), ("reference", "Reference", "text", 14),
    ("sheet", "Sheet", "text", 12), ("row", "Row", "integer", 8),
]
# Where a period is closed (CONTRACT section 8): the close it lies in, and today's figures
# against those recorded at the close. Shown only once the workbook has been closed.
_BALANCE_CLOSED = [("closed", "Closed", "text", 18), ("as_closed", "As closed", "text", 60)]
# farms (CONTRACT section 6): written only when the book has farm tables. Acres and
# yields per acre are plain numbers (a fifth element overrides the number format).
PLAIN = "#,##0.00"
_CROP = [
    ("crop", "Crop", "text", 20), ("season", "Season", "integer", 8),
    ("start", "Start", "date", 12), ("end", "End", "date", 12),
    ("beginning", "Beginning (A)", "quantity", 15), ("harvested", "Harvested (B)", "quantity", 15),
    ("bought", "Bought (C)", "quantity", 14), ("sold", "Sold (D)", "quantity", 15),
    ("losses", "Losses (E)", "quantity", 14), ("farm_use", "Farm use (F)", "quantity", 14),
    ("accounted", "Accounted", "quantity", 15), ("counted_ending", "Counted ending (G)", "quantity", 17),
    ("difference", "Difference", "quantity", 14), ("acres", "Acres", "quantity", 9, PLAIN),
    ("expected_harvest", "Expected harvest", "quantity", 16), ("harvest_pct", "Harvest %", "percent", 10),
    ("tolerance_pct", "Tolerance %", "percent", 11), ("status", "Status", "status", 15),
]
_HARVEST = [
    ("field", "Field", "text", 12), ("crop", "Crop", "text", 16), ("season", "Season", "integer", 8),
    ("organic", "Organic", "text", 11), ("acres", "Acres", "quantity", 9, PLAIN),
    ("expected_yield", "Expected yield", "quantity", 10, PLAIN), ("yield_unit", "Yield unit", "text", 8),
    ("harvested_per_acre", "Harvested per acre", "quantity", 12, PLAIN),
    ("expected_harvest", "Expected harvest", "quantity", 16), ("harvested", "Harvested", "quantity", 15),
    ("harvest_pct", "Harvest %", "percent", 10), ("seed", "Seed", "text", 14),
    ("seed_planted", "Seed planted", "quantity", 14), ("seed_expected", "Seed expected", "quantity", 14),
    ("yield_source", "Yield source", "text", 20), ("status", "Status", "status", 16),
]
FARM_OUTPUT_SHEETS = ("Crop", "Harvest")

# Livestock (CONTRACT section 6): head counts are whole animals, dry matter in the report unit.
_HERD = [
    ("herd", "Herd", "text", 18), ("start", "Start", "date", 12), ("end", "End", "date", 12),
    ("beginning", "Beginning (J)", "integer", 13), ("born", "Born", "integer", 8),
    ("bought", "Bought", "integer", 8), ("moved_in", "Moved in", "integer", 9),
    ("sold", "Sold", "integer", 8), ("slaughtered", "Slaughtered", "integer", 11),
    ("culled", "Culled", "integer", 8), ("moved_out", "Moved out", "integer", 9),
    ("died", "Died (M)", "integer", 9), ("expected_ending", "Expected ending", "integer", 15),
    ("counted_ending", "Counted (N)", "integer", 12), ("difference", "Difference", "integer", 10),
    ("head_days", "Head-days", "integer", 11), ("output", "Output", "quantity", 16),
    ("output_expected", "Output expected", "quantity", 16), ("output_pct", "Output %", "percent", 10),
    ("status", "Status", "status", 13),
]
_FEED = [
    ("herd", "Herd", "text", 18), ("start", "Start", "date", 12), ("end", "End", "date", 12),
    ("head_days", "Head-days", "integer", 11), ("demand_dm", "Demand DM (P)", "quantity", 16),
    ("fed_dm", "Fed DM", "quantity", 16), ("fed_organic_dm", "Fed organic DM", "quantity", 16),
    ("fed_nonorganic_dm", "Fed non-organic DM", "quantity", 16),
    ("fed_without_dm", "Fed, no DM %", "quantity", 14), ("pasture_dm", "Pasture DM", "quantity", 16),
    ("shortfall_dm", "Shortfall DM", "quantity", 16), ("shortfall_pct", "Shortfall %", "percent", 11),
    ("tolerance_pct", "Tolerance %", "percent", 11), ("status", "Status", "status", 14),
]
_PASTURE = [
    ("herd", "Herd", "text", 18), ("start", "Season start", "date", 12), ("end", "Season end", "date", 12),
    ("days", "Days", "integer", 7), ("head_days", "Head-days", "integer", 11),
    ("demand_dm", "Demand DM", "quantity", 16), ("fed_dm", "Fed DM", "quantity", 16),
    ("pasture_dm", "Pasture DM", "quantity", 16), ("dmi_pct", "DMI from pasture %", "percent", 12),
    ("status", "Status", "status", 14),
]
LIVESTOCK_LAYOUTS = {"Herd": _HERD, "Feed": _FEED, "Pasture": _PASTURE}  # the inspector's copy uses them too
LIVESTOCK_COLORS = {"SHORT": "red", "BELOW 30%": "red", "SHORT SEASON": "red", "NO DEMAND": "amber",
                    "DM % MISSING": "amber", "IN SEASON": "amber"}
GO_TO = "Go to"
# CONTRACT section 7: one row per candidate cell of a flagged figure
_INVESTIGATIONS = [
    ("figure", "Figure", "text", 9), ("item", "Item", "text", 22), ("owner", "Owner", "text", 12),
    ("start", "Start", "date", 12), ("end", "End", "date", 12), ("variance", "Variance", "quantity", 14),
    ("rank", "Rank", "integer", 6), ("cause", "Cause", "text", 22),
    ("sheet", "Sheet", "text", 12), ("row", "Row", "integer", 7), ("column", "Column", "text", 10),
    ("typed", "Typed", "text", 12), ("suggested", "Suggested", "text", 12),
    ("variance_after", "Variance after", "quantity", 15), ("variance_pct_after", "Variance % after", "percent", 12),
    ("status_after", "Status after", "status", 12),
    # the other period a moved date touches is named in the explanation (dates that are
    # blank on most rows are left to the JSON)
    ("other_variance_after", "Other variance after", "quantity", 15),
    ("other_status_after", "Other status after", "status", 12),
    ("explanation", "Explanation", "text", 80),
]
INVESTIGATION_NOTES = ("Root cause", "Corrective action", "Investigated by", "Date investigated",
                       "Recomputed variance")
FIRST_CANDIDATE = "Investigation"

_KEYS = {
    "Balance": ("Item", "Owner", "Start", "End"),
    "Supply": ("Ingredient", "Owner", "Start", "End"),
    "Yield": ("Batch",),
    # a finding by what it says, not by its row number: a row inserted above it in the
    # input moves the row but not the finding, and its note must stay on it
    "Exceptions": ("Code", "Sheet", "Column", "Message"),
    "Ledger": (),
    "Investigations": ("Figure", "Item", "Owner", "Start", "End", "Sheet", "Row", "Column"),
    "Crop": ("Crop", "Season"),
    "Harvest": ("Field", "Crop", "Season"),
    "Herd": ("Herd", "Start", "End"),
    "Feed": ("Herd", "Start", "End"),
    "Pasture": ("Herd", "Season start", "Season end"),
}

# Every layout above must name each frame column of result.py exactly once.
assert [c[0] for c in _BALANCE] == R.BALANCE_COLUMNS
assert [c[0] for c in _SUPPLY] == R.SUPPLY_COLUMNS
assert [c[0] for c in _YIELD] == R.YIELD_COLUMNS
assert [c[0] for c in _LEDGER] == R.LEDGER_COLUMNS
assert [c[0] for c in _FINDINGS] == [c for c in R.FINDING_COLUMNS if c != "cell"]
assert {c[0] for c in _INVESTIGATIONS} <= set(R.INVESTIGATION_COLUMNS)
assert [c[0] for c in _HERD] == R.HERD_COLUMNS
assert [c[0] for c in _FEED] == R.FEED_COLUMNS
assert [c[0] for c in _PASTURE] == R.PASTURE_COLUMNS


def number_format(kind: str, unit: str) -> str | None:
    """The cell format of a column kind ('wrap' is text that wraps)."""
    return {"date": DATE_FORMAT, "quantity": quantity_format(unit), "percent": PERCENT_FORMAT,
            "integer": INTEGER_FORMAT}.get(kind)


def _text(values: pd.Series) -> pd.Series:
    """values.astype("string") of a column of texts and missing values. Where pandas keeps
    that string type in Arrow, the Arrow array is made directly: pandas' own conversion
    checks each value in Python first (2.5 s of the result sheets at 980k movements).
    pyarrow is imported only there: xlwings Lite has none."""
    if pd.StringDtype().storage != "pyarrow":
        return values.astype("string")
    import pyarrow as pa
    try:
        arr = pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):   # what pandas' own way may still take
        return values.astype("string")
    out = pd.Series(pd.arrays.ArrowStringArray(arr), index=values.index, name=values.name)
    return out if out.dtype == pd.StringDtype() else values.astype("string")


def convert_column(values: pd.Series, kind: str) -> pd.Series:
    """A frame column as the sheet stores it (see SheetSpec.data), index 0..n-1."""
    values = values.reset_index(drop=True)
    if kind == "date":
        return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
    if kind in ("quantity", "percent"):
        out = pd.to_numeric(values, errors="coerce").astype("float64")
        return out.where(np.isfinite(out))
    if kind == "integer":
        return pd.to_numeric(values, errors="coerce").round().astype("Int64")
    # text and status, as pandas' string dtype; booleans read as the user types them
    if isinstance(values.dtype, pd.StringDtype):
        return values
    if values.dtype == bool or str(values.dtype) == "boolean":
        return values.map({True: "Yes", False: "No"}).astype("string")
    if isinstance(values.dtype, pd.CategoricalDtype) and \
            pd.api.types.infer_dtype(values.cat.categories, skipna=False) == "string":
        # the Ledger's kinds and sheets: each category converted once, then taken by code
        cats = pd.array(values.cat.categories.to_numpy(dtype=object), dtype="string")
        return pd.Series(cats.take(values.cat.codes.to_numpy(), allow_fill=True), index=values.index,
                         name=values.name)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty"):
        return _text(values)
    if inferred == "boolean":
        # a yes/no column (the Ledger's Organic): the whole column at once, as the map below
        # would; two texts taken by code (a million "Yes" and "No" made into string cells
        # one by one was 0.3 s at 980k movements)
        missing = values.isna().to_numpy()
        codes = np.full(len(values), -1, dtype=np.int8)
        codes[~missing] = values.to_numpy(dtype=object)[~missing].astype(bool)
        cats = pd.array(["No", "Yes"], dtype="string")
        return pd.Series(cats.take(codes, allow_fill=True), index=values.index, name=values.name)
    if inferred.startswith("mixed"):
        # rare mixed columns: element by element is affordable there
        values = values.map(lambda v: "Yes" if v is True or v is np.True_ else
                            "No" if v is False or v is np.False_ else v)
    missing = values.isna().to_numpy()
    return values.astype(str).where(~missing, None).astype("string")


def _sheet(name: str, layout, frame: pd.DataFrame, unit: str, notes: bool) -> SheetSpec:
    n = len(frame)
    columns, data = [], {}
    for col, header, kind, width, *fmt in layout:
        wrap = kind == "wrap"
        kind = "text" if wrap else kind
        columns.append(ColumnSpec(header, kind, width, fmt[0] if fmt else number_format(kind, unit), wrap))
        if col not in frame.columns:
            # a column the engine does not give would print as a blank column: a defect
            if n:
                raise KeyError(f"the {name} frame has no column {col!r}")
            src = pd.Series([None] * n, dtype=object)
        else:
            src = frame[col]
        data[header] = convert_column(src, kind)
    note_cols: tuple[str, ...] = ()
    if notes:
        note_cols = USER_NOTE_COLUMNS
        for header in note_cols:
            columns.append(ColumnSpec(header, "note", 30 if header != "Investigated by" else 16))
    return SheetSpec(name, tuple(columns), data, _KEYS[name], note_cols)


def _quote_sheet(sheet: pd.Series) -> pd.Series:
    return "'" + sheet.str.replace("'", "''", regex=False) + "'"


def finding_links(findings: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per finding: the text of its 'Go to' cell and the internal link target.

    A finding with a cell links to it, one with only a row to column A of that row, one
    with only a sheet to A1 of that sheet, one without a sheet to nothing.
    """
    n = len(findings)
    if n == 0:
        empty = pd.Series([], dtype="string")
        return empty, empty
    sheet = findings["sheet"].reset_index(drop=True).astype(object)
    has_sheet = sheet.notna() & (sheet.astype(str) != "")
    sheet_s = sheet.where(has_sheet, "").astype(str)
    cell = (findings["cell"] if "cell" in findings.columns else pd.Series([None] * n))
    cell = cell.reset_index(drop=True).astype(object)
    row = pd.to_numeric(findings["row"].reset_index(drop=True), errors="coerce").astype("Int64")
    row_cell = "A" + row.astype("string").fillna("1").astype(str)
    target = cell.where(cell.notna() & (cell.astype(str) != ""), row_cell).astype(str)
    location = (_quote_sheet(sheet_s) + "!" + target).where(has_sheet, None)
    display = (sheet_s + "!" + target).where(has_sheet, None)
    return display.astype("string"), location.astype("string")


def result_sheets(rec: R.Reconciliation) -> list[SheetSpec]:
    """Balance, Supply, Yield, Exceptions and Ledger, in that order."""
    unit = rec.unit
    out = [
        _sheet("Balance", _BALANCE + (_BALANCE_CLOSED if "closed" in rec.balances.columns else []),
               rec.balances, unit, notes=True),
        _sheet("Supply", _SUPPLY, rec.supply, unit, notes=True),
        _sheet("Yield", _YIELD, rec.yields, unit, notes=True),
    ]
    exc = _sheet("Exceptions", _FINDINGS, rec.findings, unit, notes=True)
    display, location = finding_links(rec.findings)
    cols = list(exc.columns)
    at = len(_FINDINGS)
    cols.insert(at, ColumnSpec(GO_TO, "link", 18))
    data = dict(exc.data)
    data[GO_TO] = display
    exc = SheetSpec(exc.name, tuple(cols), data, exc.keys, exc.note_columns, {GO_TO: location})
    out.append(exc)
    ledger = _sheet("Ledger", _LEDGER, rec.ledger, unit, notes=False)
    out.append(replace(ledger, print_setup=PrintSetup(repeat_columns=3)))   # date, kind and item
    from massbal.layout.investigations import investigations_sheet, link_first_candidates
    out[0] = link_first_candidates(out[0], rec.balances, rec.investigations, "Balance")
    out[1] = link_first_candidates(out[1], rec.supply, rec.investigations, "Supply")
    out[0] = _uncoloured_counts(out[0], rec.balances)
    out.append(investigations_sheet(rec.investigations, unit))
    assert tuple(s.name for s in out) == OUTPUT_SHEETS
    return out + farm_sheets(rec) + livestock_sheets(rec)


def _uncoloured_counts(spec: SheetSpec, balances) -> SheetSpec:
    """A NO COUNT that was not due (a farm item's month inside its season: balance.count_due)
    is not amber: amber asks the user to act, and there is nothing missing."""
    if "count_due" not in balances.columns or balances["count_due"].all():
        return spec
    status = spec.data["Status"]
    due = balances["count_due"].to_numpy(dtype=bool)
    other = (status != "NO COUNT").fillna(True).to_numpy(dtype=bool)
    keys = status.where(pd.Series(due | other, index=status.index))
    return replace(spec, status_keys={**spec.status_keys, "Status": keys})


def farm_sheets(rec: R.Reconciliation) -> list[SheetSpec]:
    """Crop and Harvest (CONTRACT section 6), for a farm's book only."""
    if rec.crop is None:
        return []
    return [_sheet("Crop", _CROP, rec.crop, rec.unit, notes=True),
            _sheet("Harvest", _HARVEST, rec.fields, rec.unit, notes=True)]


def livestock_sheets(rec: R.Reconciliation) -> list[SheetSpec]:
    """Herd, Feed and Pasture, on a farm with animals (rec.herds is not None); else none."""
    if getattr(rec, "herds", None) is None:
        return []
    colors = dict(STATUS_COLORS, **LIVESTOCK_COLORS)
    specs = [_sheet(name, layout, frame, rec.unit, notes=True) for name, layout, frame in
             (("Herd", _HERD, rec.herds), ("Feed", _FEED, rec.feed), ("Pasture", _PASTURE, rec.pasture))]
    assert tuple(s.name for s in specs) == LIVESTOCK_SHEETS
    # head counts and head-days are whole numbers, often in the thousands
    return [SheetSpec(s.name, tuple(replace(c, number_format="#,##0") if c.kind == "integer" else c for c in s.columns),
                      s.data, s.keys, s.note_columns, s.links, colors) for s in specs]


def written_sheets(rec: R.Reconciliation) -> list[SheetSpec]:
    """Everything Reconcile writes: the result sheets, then the Dashboard."""
    from massbal.layout.dashboard import dashboard_sheet  # it builds on this module's specs
    return result_sheets(rec) + [dashboard_sheet(rec)]
