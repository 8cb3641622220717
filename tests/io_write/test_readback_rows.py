"""Reading back an old sheet parses only the rows that can hold the user's cells: the
header, rows above and below the table, rows with a note or a cell beside the table.
Each case compares that with reading every row, on sheet XML as Excel, LibreOffice and
massbal write it (shared strings, prefixes, rows and cells without r)."""
from __future__ import annotations

import copy

import pytest

from massbal.xlsx.write import readback as RB

ROOT = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')
STRINGS = ["Root cause", "typed by hand", "beside", "under"]


def _row(r: int, cells: list[str], attrs: str = "") -> str:
    return f'<row r="{r}"{attrs}>' + "".join(cells) + "</row>"


def _num(ref: str, v: float) -> str:
    return f'<c r="{ref}" s="3"><v>{v}</v></c>'


def _text(ref: str, t: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{t}</t></is></c>'


def _shared(ref: str, i: int) -> str:
    return f'<c r="{ref}" t="s"><v>{i}</v></c>'


def _table_rows(n: int, first: int = 2) -> list[str]:
    """A table A..D with a header on row first-1 and n data rows (D: the notes column)."""
    rows = [_row(first - 1, [_text("A1".replace("1", str(first - 1)), "Item"), _text(f"B{first - 1}", "Qty"),
                             _text(f"C{first - 1}", "Status"), _shared(f"D{first - 1}", 0)])]
    for r in range(first, first + n):
        rows.append(_row(r, [_text(f"A{r}", f"Oats {r}"), _num(f"B{r}", r * 1.5), _text(f"C{r}", "PASS")],
                         ' spans="1:4"'))
    return rows


def _both(middle: bytes, region, wanted):
    out = []
    for fast in (True, False):
        sheet = RB.OldSheet("xl/worksheets/sheet1.xml", None, [], None, [], [], None)
        if fast:
            RB.read_cells(sheet, middle, ROOT, region, wanted, STRINGS.__getitem__)
        else:
            RB._scan_rows(sheet, ROOT + middle + b"</worksheet>", region, wanted, STRINGS.__getitem__)
        out.append(sheet)
    return out


def _same(a, b) -> None:
    for f in ("table_cells", "header", "outside", "outside_row_attrs", "has_formulas", "cells_read"):
        assert getattr(a, f) == getattr(b, f), f


CASES = {
    "untouched": lambda rows: rows,
    "a note": lambda rows: rows[:5] + [rows[5].replace("</row>", _shared("D6", 1) + "</row>")] + rows[6:],
    "a formula in the notes": lambda rows: rows[:3] + [rows[3].replace("</row>", '<c r="D4"><f>B4*2</f><v>12</v></c></row>')]
    + rows[4:],
    "a cell beside the table": lambda rows: rows[:8] + [rows[8].replace("</row>", _shared("F9", 2) + "</row>")] + rows[9:],
    "a cell beyond Z": lambda rows: rows[:8] + [rows[8].replace("</row>", _text("AB9", "far") + "</row>")] + rows[9:],
    "rows below": lambda rows: rows + [_row(40, [_shared("A40", 3)], ' ht="30" customHeight="1"'), _row(41, [], ' hidden="1"')],
    "a row above": lambda rows: [_row(1, [_text("A1", "title")])] + rows,
    "a cell without r": lambda rows: rows[:4] + [rows[4].replace("</row>", '<c t="inlineStr"><is><t>x</t></is></c></row>')]
    + rows[5:],
    "a row without r": lambda rows: rows[:4] + ["<row>" + rows[4].split(">", 1)[1]] + rows[5:],
    "empty formatted cell beside": lambda rows: rows[:2] + [rows[2].replace("</row>", '<c r="G4" s="5"/></row>')] + rows[3:],
    "rows out of order": lambda rows: rows[:4] + [rows[12]] + rows[4:12] + rows[13:],
    "a note on a row out of order": lambda rows: rows[:4] + [rows[12].replace("</row>", _shared("D15", 1) + "</row>")]
    + rows[4:12] + rows[13:],
    "a note on the last row": lambda rows: rows[:-1] + [rows[-1].replace("</row>", _shared("D22", 1) + "</row>")],
    "a cell before the rows": lambda rows: ['<c r="A1" t="inlineStr"><is><t>stray</t></is></c>'] + rows,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_the_rows_that_matter(case):
    rows = CASES[case](_table_rows(20, first=3))
    middle = ("<sheetData>" + "".join(rows) + "</sheetData>").encode()
    region = (2, 1, 22, 4)
    fast, every = _both(middle, region, {4})
    _same(fast, every)
    assert fast.header == {1: "Item", 2: "Qty", 3: "Status", 4: "Root cause"}


def test_prefixed_sheet_and_all_columns_wanted():
    rows = CASES["a note"](_table_rows(10))
    middle = ("<x:sheetData>" + "".join(rows).replace("<row", "<x:row").replace("</row", "</x:row")
              .replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
              .replace("<is>", "<x:is>").replace("</is>", "</x:is>").replace("<t>", "<x:t>").replace("</t>", "</x:t>")
              + "</x:sheetData>").encode()
    root = ROOT.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
    for wanted in ({4}, None):
        got = []
        for fast in (True, False):
            sheet = RB.OldSheet("p", None, [], None, [], [], None)
            if fast:
                RB.read_cells(sheet, middle, root, (1, 1, 11, 4), wanted, STRINGS.__getitem__)
            else:
                RB._scan_rows(sheet, root + middle + b"</x:worksheet>", (1, 1, 11, 4), wanted, STRINGS.__getitem__)
            got.append(sheet)
        _same(*got)
        assert got[0].table_cells.get(4) == {6: RB.OldCell("typed by hand", "s", None, None)}


def test_the_selection_skips_the_untouched_rows():
    """The point of it: an untouched table's data rows are not handed to the parser."""
    rows = _table_rows(1000)
    middle = ("<sheetData>" + "".join(rows) + "</sheetData>").encode()
    picked, noted = RB._rows_that_matter(middle, (1, 1, 1001, 4), {4})
    assert picked is not None and picked.count(b"<row ") == 1 and not noted
    noted = copy.copy(rows)
    noted[500] = noted[500].replace("</row>", _shared("D501", 1) + "</row>")
    picked, flag = RB._rows_that_matter(("<sheetData>" + "".join(noted) + "</sheetData>").encode(),
                                        (1, 1, 1001, 4), {4})
    assert picked.count(b"<row ") == 2 and flag


@pytest.mark.parametrize("case", sorted(CASES))
def test_keys_are_read_beside_a_note(case):
    """Key columns (A, the item) are read on every row when the table holds a note, as
    reading every row does; without a note no data row is read (no key is needed)."""
    rows = CASES[case](_table_rows(20, first=3))
    middle = ("<sheetData>" + "".join(rows) + "</sheetData>").encode()
    region = (2, 1, 22, 4)
    fast = RB.OldSheet("p", None, [], None, [], [], None)
    RB.read_cells(fast, middle, ROOT, region, {1, 4}, STRINGS.__getitem__, keys={1})
    every = RB.OldSheet("p", None, [], None, [], [], None)
    RB._scan_rows(every, ROOT + middle + b"</worksheet>", region, {1, 4}, STRINGS.__getitem__)
    for f in ("header", "outside", "outside_row_attrs"):
        assert getattr(fast, f) == getattr(every, f), f
    if every.table_cells.get(4):
        assert fast.table_cells == every.table_cells
    else:
        assert not fast.table_cells.get(4)
        if "without r" in case:   # not taken apart by bytes: every row read, as before
            assert fast.table_cells == every.table_cells
        else:
            assert len(fast.table_cells.get(1, {})) < len(every.table_cells[1])   # keys skipped


@pytest.mark.parametrize("at", [-70, -12, -11, -5, -1, 0, 3, 60, 64, 70])
@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("ahead", [False, True])
def test_split_finds_the_end_across_reads(at, keep, ahead, monkeypatch):
    """The end of <sheetData> is found where it straddles the reader's 4 MB reads (or a
    "sheetData" that is not its end tag does), with the rows kept or skipped, each next
    read made ahead by a worker thread or not."""
    import io
    monkeypatch.setattr(RB.os, "cpu_count", lambda: 2 if ahead else 1)
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>sheetDat</t></is></c></row>'
    fill = row * ((1 << 22) // len(row) + 2)
    head = ROOT + b"<sheetData>"
    first = 1 << 20   # _split's first read, then reads of 4 MB
    pad = first + (1 << 22) - len(head) + at   # the end tag starts `at` bytes from a read's end
    body = (fill * 2)[:pad]
    body = body[:max(0, len(body) - 40)] + b"<!--sheetData-->".rjust(40, b" ")[:40]
    tail = b"<pageMargins/></worksheet>"
    xml = head + body + b"</sheetData >" + tail
    got_head, middle, got_tail = RB._split(io.BytesIO(xml), lambda h: keep)
    assert got_head == ROOT and got_tail == tail
    assert middle == (b"<sheetData>" + body + b"</sheetData >" if keep else None)
