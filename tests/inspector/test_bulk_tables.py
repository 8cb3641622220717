"""Issue 15: the inspector's tables are written in bulk (inspector/bulk.py), not one
XlsxWriter call per cell. Every cell must still be what Sheet.put / Sheet.formula write
one by one: the same value, type and format, the same fingerprint text, read back by
verify and by openpyxl, with its link and its row height."""
from __future__ import annotations

import zipfile
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.datetime import to_excel

from massbal.inspector.verify import FINGERPRINT_SHEET, read_cells, verify
from massbal.inspector.xlsx_report import Col, Report, wrapped_lines

from .xlsxkit import _part

MIXED = ["oats", "", None, np.nan, 12, 3.25, -0.0, 1e-12, 123456789012345678, float("inf"), True, False,
         pd.Timestamp("2025-03-01"), datetime(2025, 3, 1, 13, 30, 15, 250000), date(1899, 12, 1), pd.NaT,
         "  padded ", "tab\tand\nnewline", "bell\x07", "_x0041_ literal", "<r>x</r>", "a & b < c > d",
         "=1+1", "0012", "\u00e9t\u00e9 \U0001f600", "x" * 40000, "\ufffe", np.int64(7), np.float32(0.5),
         "\u00a0no-break ends\u2003", "_x00zz_ not an escape", "tail space "]

RICH = "<r>x</r>"


def _columns(n: int) -> list[Col]:
    texts = pd.Series([f"lot {i}" if i % 3 else None for i in range(n)], dtype=object)
    return [
        Col("Mixed", MIXED[:n] + [None] * (n - len(MIXED)), "text", 10,
            link=lambda i: f"'Other'!A{i + 1}" if i % 2 == 0 else None),
        Col("Date", pd.Series(pd.to_datetime(["2025-01-31 00:00", None, "2025-02-01 06:00"] * (n // 3 + 1))[:n]), "date"),
        Col("Dates typed", (["2025-01-05", 45000, datetime(2025, 1, 6)] * n)[:n], "date"),
        Col("Qty", pd.Series(np.linspace(-1.5, 1e6 / 3, n)), "number", link=lambda i: "'Other'!B2" if i < 3 else None),
        Col("Count", pd.Series(np.arange(n, dtype="int64")), "int"),
        Col("Flag", pd.Series([True, False] * (n // 2) + [True] * (n % 2)), "text"),
        Col("Lot", texts, "text"),
        Col("Note", ["word " * (i % 30) for i in range(n)], "wrap", 20),
        Col("Formula", list(np.arange(n) * 1.5), "number", formula=lambda i: f"=D{i + 5}*2"),
        Col("Status", (["PASS", None, "", 0.5, pd.Timestamp("2025-01-01"), True, "#N/A"] * n)[:n], "status",
            formula=lambda i: '=IF(1,"PASS","x")'),
        Col("Empty", [None] * n, "number"),
    ]


def _write(path, n: int) -> str:
    rep = Report(path)
    s = rep.sheet("Data", "Title", "Subtitle")
    s.table("Data", _columns(n), n)
    s.lines("After the table", ["a line below"])
    s.table("Second", [Col("A", [1, 2]), Col("B", ["x", None])], 2, caption="A second table")
    one = rep.sheet("One by one")
    cols = _columns(n)
    for j, c in enumerate(cols):  # the same cells through put / formula, one call each
        for i, v in enumerate(list(c.values)):
            if v == RICH:  # XlsxWriter writes this one as rich text markup, not as the text typed
                continue
            if c.formula is not None:
                one.formula(i, j, c.formula(i), v)
            else:
                one.put(i, j, v, kind="date" if c.kind == "date" and not isinstance(v, str) else None)
    rep.sheet("Other", "target")
    cover = rep.sheet("Cover")
    cover.put(0, 0, "Fingerprint")
    return rep.close((cover, 0, 1)).overall


def _plain(v):
    return to_excel(v) if isinstance(v, datetime) else v


def test_bulk_cells_are_the_cells_put_writes_one_by_one(tmp_path):
    n = len(MIXED) + 5
    path = tmp_path / "bulk.xlsx"
    fp = _write(path, n)
    cells = read_cells(path)
    data, one = cells["Data"], cells["One by one"]
    first = 5  # title, subtitle, gap, header: the data start on row 5
    for (r, c), v in one.items():
        assert data.get((r + first - 1, c)) == v, (r, c, v, data.get((r + first - 1, c)))
    body = {k: v for k, v in data.items() if first <= k[0] < first + n}
    assert len(body) == len(one) + 1 and body[(first + MIXED.index(RICH), 1)] == "s:" + RICH
    res = verify(path)
    assert res.ok and res.fingerprint == fp, res.problems

    wb = openpyxl.load_workbook(path)
    a, b = wb["Data"], wb["One by one"]
    for i in range(n):
        for j in range(len(_columns(n))):
            x, y = a.cell(first + i, j + 1), b.cell(i + 1, j + 1)
            if x.value == RICH or MIXED[i:i + 1] == ["_x0041_ literal"] and j == 0:
                continue  # openpyxl does not undo the escape of '_x' in inline text (verify does)
            # the table's cells carry their column's format: a day number shows as a date there
            assert _plain(x.value) == _plain(y.value), (i, j, x.value, y.value)
            assert x.data_type.replace("d", "n") == y.data_type.replace("d", "n"), (i, j, x.value, y.value)
    assert a.cell(first, 1).hyperlink.location == "'Other'!A1"
    assert a.cell(first + 1, 1).hyperlink is None
    assert a.cell(first, 4).hyperlink.location == "'Other'!B2"
    assert a.cell(first, 1).font.underline == "single" and not a.cell(first + 1, 1).font.underline
    assert a.cell(first, 4).number_format == "#,##0.00"
    assert a.cell(first, 2).number_format == "yyyy-mm-dd"
    assert a.row_dimensions[first + 29].height == 15 * wrapped_lines("word " * 29, 20) > 30  # as tall as its text
    assert a.row_dimensions[first + 1].height is None
    below = [r for r in a.iter_rows(min_row=first + n, values_only=True) if any(v is not None for v in r)]
    assert below[0][0] == "After the table" and below[1][0] == "a line below"
    assert wb[FINGERPRINT_SHEET].sheet_state == "hidden"


def test_an_edit_inside_a_bulk_table_is_named(tmp_path):
    path = tmp_path / "bulk.xlsx"
    _write(path, 40)
    bad = tmp_path / "bad.xlsx"
    part = _part(path, "Data")
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as out:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == part:
                data = data.replace(b"<t>lot 8</t>", b"<t>lot 9</t>", 1)
            out.writestr(item, data)
    res = verify(bad)
    assert not res.ok
    assert res.problems == ["Data row 13 changed: G13."]


def test_many_rows_in_chunks(tmp_path, monkeypatch):
    from massbal.inspector import bulk
    monkeypatch.setattr(bulk, "CHUNK", 7)  # several chunks, the last one short
    path = tmp_path / "chunks.xlsx"
    n = 50
    rep = Report(path)
    s = rep.sheet("Data")
    s.table("Data", [Col("I", list(range(n)), "int"), Col("S", [f"s{i}" if i % 5 else None for i in range(n)])], n)
    cover = rep.sheet("Cover")
    rep.close((cover, 0, 0))
    assert verify(path).ok
    rows = [r for r in openpyxl.load_workbook(path)["Data"].iter_rows(min_row=2, values_only=True)]
    assert rows == [(i, f"s{i}" if i % 5 else None) for i in range(n)]
