"""=MASSBAL and its siblings over a real workbook read through xlwings' remote engine:
each figure equals the Balance sheet's, and the ledger cache never serves a stale one."""
from __future__ import annotations

import math

import bookkit
import pandas as pd
import pytest
import xlwings as xw
from books import granola_tables
from payload import payload_from_xlsx, write_book

from massbal.engine.api import reconcile
from massbal.engine.rawbook import RawTable
from massbal.excel import cache as C
from massbal.excel import figures as F
from massbal.excel import udfs
from massbal.excel.adapter import read_raw_book


@pytest.fixture()
def xlsx(tmp_path):
    return write_book(tmp_path / "Granola.xlsx", granola_tables(), plain=("Counts",))


def test_reader_gives_the_tables_as_typed(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    raw = read_raw_book(book)
    expected = bookkit.book(**granola_tables())
    assert set(raw.tables) == set(expected.tables)
    for name, t in raw.tables.items():
        e = expected.tables[name]
        assert t.headers == e.headers, name
        assert list(t.rows) == list(e.rows), name
        assert t.columns == e.columns
        assert t.is_table == (name != "Counts")
    receipts = raw.tables["Receipts"].data
    assert receipts.iloc[2, 3] == 1000 and receipts.iloc[2, 4] == "kg"
    assert pd.Timestamp(receipts.iloc[0, 0]) == pd.Timestamp("2025-10-02")
    # the same workbook as typed gives the same reconciliation
    pd.testing.assert_frame_equal(reconcile(raw).balances, reconcile(expected).balances)


def _equal(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got == ""
    if isinstance(want, float):
        return isinstance(got, float) and got == want
    return got == want


def test_every_function_returns_the_balance_sheet_figure(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    rec = reconcile(read_raw_book(book))  # the Balance sheet: monthly over the data span
    sheet = book.sheets[0]
    checked = 0
    for i, row in rec.balances.iterrows():
        for fig in F.FIGURES:
            if fig.table != "balance":
                continue
            fn = getattr(udfs, fig.classic)
            got = fn(row["item"], row["start"].to_pydatetime(), row["end"].strftime("%Y-%m-%d"),
                     row["owner"], caller=sheet.range((i + 1, 1)))
            assert _equal(got, row[fig.column]), (fig.classic, row["item"], row["owner"], got, row[fig.column])
            checked += 1
    for i, row in rec.supply.iterrows():
        got = udfs.MASSBAL_UNACCOUNTED(row["ingredient"], row["start"], row["end"], row["owner"],
                                       caller=sheet.range((i + 1, 2)))
        assert _equal(got, row["unaccounted"])
        checked += 1
    assert checked >= 11 * 6 and len(rec.supply)
    assert set(rec.balances["owner"].dropna()) == {"Acme"}


def test_dates_as_excel_serials_and_text(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    cell = book.sheets[0].range("H1")
    by_text = udfs.MASSBAL("oats", "2025-11-01", "2025-11-30", caller=cell)
    by_serial = udfs.MASSBAL("Oats", 45962.0, 45991, caller=book.sheets[0].range("H2"))
    assert by_text == by_serial and isinstance(by_text, float)
    assert udfs.MASSBAL_STATUS("OATS", "2025-11-01", "2025-11-30", caller=book.sheets[0].range("H3")) in \
        {"PASS", "INVESTIGATE", "NEGATIVE", "NO COUNT"}


def test_sentences_instead_of_figures(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    c = book.sheets[0].range("J1")
    assert "not an item" in udfs.MASSBAL("Oatz", "2025-11-01", "2025-11-30", caller=c)
    assert "not a date" in udfs.MASSBAL("Oats", "30/11/2025", "2025-11-30", caller=c)
    assert "before it starts" in udfs.MASSBAL("Oats", "2025-11-30", "2025-11-01", caller=c)
    # Almonds are kept for two owners in November: the function asks which
    own = udfs.MASSBAL("Almonds", "2025-11-01", "2025-11-30", caller=c)
    acme = udfs.MASSBAL("Almonds", "2025-11-01", "2025-11-30", "acme", caller=c)
    assert isinstance(own, float) and isinstance(acme, float) and own != acme
    assert "owned by Nobody" in udfs.MASSBAL("Almonds", "2025-11-01", "2025-11-30", "Nobody", caller=c)
    assert udfs.MASSBAL("Oats", caller=None).startswith("MASSBAL functions run only")


def test_one_read_per_recalculation_and_a_new_read_after(tmp_path, xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    reads = []
    real = udfs.read_raw_book

    def counting(b):
        reads.append(1)
        return real(b)

    udfs.read_raw_book = counting
    try:
        cells = [book.sheets[0].range((r, 9)) for r in range(1, 51)]
        for c in cells:  # one recalculation of 50 cells: the tables are read once
            udfs.MASSBAL("Oats", "2025-11-01", "2025-11-30", caller=c)
        assert len(reads) == 1
        # the user adds a receipt; Excel recalculates every (volatile) cell again
        tables = granola_tables()
        tables["Receipts"].append(bookkit.receipt("2025-11-20", "Oats", "OAT-3", 100,
                                                  supplier="Prairie Mills", cert="CERT-PM"))
        changed = xw.Book(json=payload_from_xlsx(write_book(tmp_path / "Granola.xlsx", tables,
                                                            plain=("Counts",))))
        before = udfs.MASSBAL("Oats", "2025-11-01", "2025-11-30", caller=cells[0])
        cells2 = [changed.sheets[0].range((r, 9)) for r in range(1, 51)]
        after = [udfs.MASSBAL("Oats", "2025-11-01", "2025-11-30", caller=c) for c in cells2]
        assert len(reads) == 3  # a repeated cell started a new recalculation: read again
        assert len(set(after)) == 1 and after[0] == pytest.approx(before + 100)
        assert C.CACHE.prepares == 2
    finally:
        udfs.read_raw_book = real


def test_manual_calculation_reads_every_time(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx, calculation="Manual"))
    reads = []
    real = udfs.read_raw_book
    udfs.read_raw_book = lambda b: (reads.append(1), real(b))[1]
    try:
        for r in range(1, 6):
            udfs.MASSBAL("Oats", "2025-11-01", "2025-11-30", caller=book.sheets[0].range((r, 9)))
    finally:
        udfs.read_raw_book = real
    assert len(reads) == 5
    assert C.CACHE.prepares == 1  # unchanged tables: read and fingerprinted, not prepared again


def test_fingerprint_sees_type_and_place():
    a = bookkit.book(Receipts=[bookkit.receipt("2025-11-01", "Oats", "L1", 100)])
    t = a.tables["Receipts"]
    as_text = t.data.copy()
    as_text.iloc[0, 3] = "100"
    moved = RawTable(t.name, t.sheet, t.headers, t.data, t.rows + 1, t.columns)
    fps = {C.fingerprint(a),
           C.fingerprint(type(a)({"Receipts": RawTable(t.name, t.sheet, t.headers, as_text, t.rows, t.columns)})),
           C.fingerprint(type(a)({"Receipts": moved}))}
    assert len(fps) == 3
    assert C.fingerprint(a) == C.fingerprint(bookkit.book(Receipts=[bookkit.receipt("2025-11-01", "Oats", "L1", 100)]))


def test_parse_date_forms():
    assert F.parse_date(45991) == pd.Timestamp("2025-11-30")
    assert F.parse_date(45991 - 1462, date1904=True) == pd.Timestamp("2025-11-30")
    assert F.parse_date("2025-11-30T00:00:00.000Z") == pd.Timestamp("2025-11-30")
    assert F.parse_date([[""]]) is None
    with pytest.raises(F.FigureError):
        F.parse_date(True)


def test_parse_date_remembers_days_by_type():
    """Days are remembered per value and type: the serial 1 asked first does not make
    TRUE a date, nor a 1900-epoch serial answer a 1904 book's."""
    assert F.parse_date(61) == pd.Timestamp("1900-03-01") and F.parse_date(1) is not None
    with pytest.raises(F.FigureError, match="TRUE/FALSE"):
        F.parse_date(True)
    assert F.parse_date(45991.0) == F.parse_date(45991) == pd.Timestamp("2025-11-30")
    assert F.parse_date(45991, date1904=True) == pd.Timestamp("2029-12-01")
    with pytest.raises(F.FigureError, match="'Nov 30' is not a date"):
        F.parse_date("Nov 30", "start")
    with pytest.raises(F.FigureError, match="The end 'Nov 30'"):
        F.parse_date("Nov 30", "end")


def test_an_item_with_no_movements_is_an_item(tmp_path):
    """=MASSBAL("Rye", ...) for Rye on the Items sheet with no movements says it has none,
    not that it is not an item (issue 8: the Items index holds codes, not names)."""
    tables = granola_tables()
    tables["Items"] = tables["Items"] + [{"Item": "Rye", "Kind": "Ingredient"}]
    book = xw.Book(json=payload_from_xlsx(write_book(tmp_path / "Rye.xlsx", tables, plain=("Counts",))))
    c = book.sheets[0].range("J1")
    said = udfs.MASSBAL("Rye", "2025-11-01", "2025-11-30", caller=c)
    assert said == "Rye has no stock and no movement in this period, so the Balance sheet has no row for it."
    assert "not an item" in udfs.MASSBAL("Ryes", "2025-11-01", "2025-11-30", caller=c)
