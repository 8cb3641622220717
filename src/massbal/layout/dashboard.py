"""The Dashboard sheet as pure layout: its data table (a SheetSpec, like the other
result sheets) and the native charts drawn over that table's cells (ChartSpecs).

Every face draws the same charts from these specs: the package writer as chart parts
(io.chart_xml), the inspector's export with XlsxWriter (io.export_dashboard). The
figures come from engine.dashboard; nothing here imports a file library.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from massbal.engine import dashboard as D
from massbal.engine.result import Reconciliation
from massbal.layout.sheets import ColumnSpec, PrintSetup, SheetSpec, convert_column, number_format

DASHBOARD = "Dashboard"

SeriesRole = Literal["band_base", "band", "bar", "line", "marked_line", "dots", "points", "dashed"]


@dataclass(frozen=True)
class SeriesSpec:
    header: str          # the table column holding the values
    role: SeriesRole     # band_base + band: a stacked area (the tolerance band); bar: stacked columns
    color: str           # RGB hex
    legend: bool = True


@dataclass(frozen=True)
class ChartSpec:
    title: str
    first: int           # the chart's first and last data row (0-based, in the table)
    last: int
    category: str        # the column of the x-axis labels
    series: tuple[SeriesSpec, ...]
    y_title: str
    col: int             # top-left cell of the chart (1-based column and row)
    row: int
    width: int           # in columns and rows
    height: int


# (frame column, header, kind, width)
_LAYOUT = [
    ("chart", "Chart", "text", 30), ("name", "Item", "text", 20), ("owner", "Owner", "text", 12),
    ("label", "Period or run", "text", 14), ("date", "Date", "date", 11),
    ("book", "Book", "quantity", 14), ("counted", "Counted", "quantity", 14),
    ("tolerance_low", "Tolerance low", "quantity", 14), ("tolerance_band", "Tolerance band", "quantity", 14),
    ("tolerance_high", "Tolerance high", "quantity", 14), ("flagged", "Flagged", "quantity", 14),
    ("available", "Available", "quantity", 14), ("shipped", "Shipped equivalent", "quantity", 14),
    ("losses", "Losses equivalent", "quantity", 14), ("on_hand", "On hand equivalent", "quantity", 14),
    ("yield_pct", "Yield %", "percent", 10), ("typical_yield_pct", "Typical yield %", "percent", 10),
    ("outlier", "Outlier", "percent", 10), ("status", "Status", "status", 13),
]
assert [c[0] for c in _LAYOUT if c[0] != "kind"] == [c for c in D.COLUMNS if c != "kind"]

GREEN, RED, BLUE, ORANGE, GREY, DARK = "C6EFCE", "C00000", "4472C4", "ED7D31", "7F7F7F", "1F3864"
_SERIES = {
    "stock": (SeriesSpec("Tolerance low", "band_base", "FFFFFF", legend=False),
              SeriesSpec("Tolerance band", "band", GREEN), SeriesSpec("Book", "line", DARK),
              SeriesSpec("Counted", "dots", ORANGE), SeriesSpec("Flagged", "points", RED)),
    "supply": (SeriesSpec("Shipped equivalent", "bar", BLUE), SeriesSpec("Losses equivalent", "bar", GREY),
               SeriesSpec("On hand equivalent", "bar", "70AD47"), SeriesSpec("Available", "marked_line", DARK),
               SeriesSpec("Flagged", "points", RED)),
    "yield": (SeriesSpec("Yield %", "marked_line", BLUE), SeriesSpec("Typical yield %", "dashed", GREY),
              SeriesSpec("Outlier", "points", RED)),
}

CHART_WIDTH, CHART_HEIGHT, GAP = 8, 15, 1     # a chart: 8 columns by 15 rows, a row between
ACROSS = 2                                     # charts side by side
TABLE_COLUMN = ACROSS * CHART_WIDTH + 2        # the data table starts right of the charts (column R)
ROWS_PER_PAGE = 2                              # chart rows on one printed page


def chart_specs(frame, unit: str) -> tuple[list[ChartSpec], int]:
    """The charts over the table's rows, laid out in a grid (each kind starts a new row
    of charts); returns them and the last sheet row they cover."""
    out: list[ChartSpec] = []
    slot, last_kind = 0, None
    y_titles = {"stock": unit, "supply": f"{unit} of ingredient", "yield": "yield %"}
    for title, kind, a, b in D.chart_blocks(frame):
        if last_kind is not None and kind != last_kind and slot % ACROSS:
            slot += ACROSS - slot % ACROSS
        last_kind = kind
        r, c = divmod(slot, ACROSS)
        out.append(ChartSpec(title, a, b, "Period or run", _SERIES[kind], y_titles[kind],
                             1 + c * CHART_WIDTH, 1 + r * (CHART_HEIGHT + GAP), CHART_WIDTH, CHART_HEIGHT))
        slot += 1
    chart_rows = (slot + ACROSS - 1) // ACROSS
    return out, chart_rows * (CHART_HEIGHT + GAP)


def page_breaks(last_row: int) -> tuple[int, ...]:
    """A page break after every ROWS_PER_PAGE rows of charts, so no chart is cut."""
    step = ROWS_PER_PAGE * (CHART_HEIGHT + GAP)
    return tuple(range(step, last_row, step))


def dashboard_sheet(rec: Reconciliation) -> SheetSpec:
    """The Dashboard: its data table at column R, the charts left of it."""
    frame = D.dashboard_frame(rec)
    columns, data = [], {}
    for col, header, kind, width in _LAYOUT:
        columns.append(ColumnSpec(header, kind, width, number_format(kind, rec.unit)))
        data[header] = convert_column(frame[col], kind)
    charts, last_row = chart_specs(frame, rec.unit)
    setup = PrintSetup(repeat_header=False, repeat_columns=0, area_columns=ACROSS * CHART_WIDTH,
                       area_rows=max(last_row, 1), row_breaks=page_breaks(last_row))
    return SheetSpec(DASHBOARD, tuple(columns), data, print_setup=setup, origin=(1, TABLE_COLUMN),
                     charts=tuple(charts))
