"""The Dashboard of the inspector's copy: the same table and the same native charts as
the workbook's Dashboard (massbal.dashboard), drawn with XlsxWriter's charts, so the
PDF shows them too. Charts print two rows to a page; the data table sits to the right,
outside the printed area."""
from __future__ import annotations

from massbal.engine.result import Reconciliation
from massbal.layout.dashboard import CHART_HEIGHT, GAP, ROWS_PER_PAGE, TABLE_COLUMN, ChartSpec, SeriesSpec
from massbal.layout.dashboard import dashboard_sheet as dashboard_spec

from .xlsx_report import Col, Sheet

_KIND = {"quantity": "number", "percent": "pct", "date": "date", "status": "status", "text": "text"}
ROW_PX, COL_PX = 20, 64   # Excel's default row height and column width, in pixels


def _style(s: SeriesSpec) -> dict:
    colour = "#" + s.color
    if s.role == "band_base":
        return {"fill": {"none": True}, "line": {"none": True}}
    if s.role in ("band", "bar"):
        return {"fill": {"color": colour}, "border": {"none": True}, "line": {"none": True}}
    if s.role in ("points", "dots"):
        size, kind = (10, "diamond") if s.role == "points" else (7, "circle")
        return {"line": {"none": True}, "marker": {"type": kind, "size": size, "fill": {"color": colour},
                                                   "border": {"color": colour}}}
    line = {"color": colour, "width": 1.25 if s.role == "dashed" else 1.75}
    if s.role == "dashed":
        line["dash_type"] = "dash"
    marker = {"type": "circle", "size": 5, "fill": {"color": colour}, "border": {"color": colour}} \
        if s.role == "marked_line" else {"type": "none"}
    return {"line": line, "marker": marker}


def _chart(wb, sheet: str, ch: ChartSpec, top: int, col_of: dict[str, int]):
    """One chart; top is the 0-based sheet row of the table's header."""
    area = [s for s in ch.series if s.role in ("band_base", "band")]
    bars = [s for s in ch.series if s.role == "bar"]
    lines = [s for s in ch.series if s not in area and s not in bars]
    kinds = [({"type": "area", "subtype": "stacked"}, area), ({"type": "column", "subtype": "stacked"}, bars),
             ({"type": "line"}, lines)]
    charts = []
    for options, series in kinds:
        if not series:
            continue
        c = wb.add_chart(options)
        for s in series:
            col = col_of[s.header]
            c.add_series({"name": [sheet, top, col],
                          "categories": [sheet, top + 1 + ch.first, col_of[ch.category], top + 1 + ch.last,
                                         col_of[ch.category]],
                          "values": [sheet, top + 1 + ch.first, col, top + 1 + ch.last, col],
                          **_style(s), **({"gap": 60, "overlap": 100} if s.role == "bar" else {})})
        charts.append(c)
    main = charts[0]
    for other in charts[1:]:
        main.combine(other)
    main.set_title({"name": ch.title, "name_font": {"size": 12, "bold": True}})
    main.set_y_axis({"name": ch.y_title, "name_font": {"size": 9, "bold": False}, "num_format": "#,##0",
                     "num_font": {"size": 8}, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    main.set_x_axis({"num_font": {"size": 8}})
    hidden = [i for i, s in enumerate(area + bars + lines) if not s.legend]
    main.set_legend({"position": "bottom", "font": {"size": 8}, **({"delete_series": hidden} if hidden else {})})
    main.show_blanks_as("gap")
    main.set_size({"width": ch.width * COL_PX, "height": ch.height * ROW_PX})
    return main


def dashboard_sheet(s: Sheet, rec: Reconciliation) -> None:
    """Charts from the sheet's current row, their data table at column R."""
    spec = dashboard_spec(rec)
    top = s.row
    cols = [Col(c.header, list(spec.data[c.header].astype(object).where(spec.data[c.header].notna(), None)),
                _KIND.get(c.kind, "text"), c.width) for c in spec.columns]
    s.table("Dashboard", cols, spec.nrows, repeat=False, first_col=TABLE_COLUMN - 1, charted=True)
    col_of = {c.header: TABLE_COLUMN - 1 + j for j, c in enumerate(spec.columns)}
    wb = s.report.wb
    for ch in spec.charts:
        s.ws.insert_chart(top + ch.row - 1, ch.col - 1, _chart(wb, s.name, ch, top, col_of),
                          {"object_position": 1})
    chart_rows = max((ch.row + ch.height for ch in spec.charts), default=1)
    for c in range(TABLE_COLUMN - 1):   # the chart grid's columns at Excel's default width
        s.ws.set_column(c, c, 8.43)
    s.ws.print_area(0, 0, top + chart_rows, TABLE_COLUMN - 3)
    step = ROWS_PER_PAGE * (CHART_HEIGHT + GAP)
    s.ws.set_h_pagebreaks(list(range(top + step, top + chart_rows, step)))
    if not spec.charts:
        s.put(top, 0, "Nothing to chart: no balances, supply balances or production runs in the period.")
