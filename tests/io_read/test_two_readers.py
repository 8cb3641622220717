"""A big workbook's sheets read by two calamine readers at once (xlsx/read/lanes.py): the
same RawBook as one reader gives, the same first error, and one reader where a second
would not pay."""
from __future__ import annotations

import pytest
from ioread_helpers import CORPUS, as_massbal_copy

from massbal.books.gen import generate_book
from massbal.xlsx.read import lanes
from massbal.xlsx.read import read_book as read_module
from massbal.xlsx.read.read_book import BookReadError, read_book

MB = 1 << 20


def test_the_biggest_sheets_are_shared_out_first_the_second_reader_starting_behind():
    # the bench book's sheets (MB of XML) and its 35 MB of shared strings, by hand:
    # Receipts 124 -> first (0 <= 35); Shipments 76 -> second (124 > 35: 111);
    # BatchInputs 59 -> second (111 < 124: 170); Batches 26 -> first (124 < 170: 150);
    # Losses 9, Items 1, Certificates 1 -> first (161). 170 of 296 MB: worth it.
    sizes = {"Items": 1, "Certificates": 1, "Receipts": 124, "Batches": 26, "BatchInputs": 59,
             "Shipments": 76, "Losses": 9}
    assert lanes.split({s: n * MB for s, n in sizes.items()}, 35 * MB) == \
        (["Items", "Certificates", "Receipts", "Batches", "Losses"], ["BatchInputs", "Shipments"])


@pytest.mark.parametrize("sizes, opening", [
    ({"Receipts": 3, "Shipments": 3}, 0),          # 6 MB: one reader is as fast
    ({"Receipts": 100, "Shipments": 1}, 10),       # one big sheet: the second saves 1 %
    ({"Receipts": 40, "Shipments": 40}, 30),       # 70 of 80 MB: its opening eats the gain
    ({"Receipts": 100}, 0),                        # nothing to share
])
def test_one_reader_where_a_second_would_not_pay(sizes, opening):
    assert lanes.split({s: n * MB for s, n in sizes.items()}, opening * MB) is None


def _load_failing(*bad):
    def load(reader, sheet):
        if sheet in bad:
            raise ValueError(f"{sheet} by {reader}")
        return f"{sheet} by {reader}"
    return load


def test_each_lane_reads_its_own_sheets_with_its_own_reader():
    got = lanes.read_sheets(["A", "B", "C", "D"], "first", _load_failing(), (["A", "C"], ["B", "D"]),
                            lambda: "second")
    assert got == {"A": "A by first", "B": "B by second", "C": "C by first", "D": "D by second"}
    assert list(got) == ["A", "B", "C", "D"]


@pytest.mark.parametrize("bad, said", [(("B", "C"), "B by second"), (("C", "B"), "B by second"),
                                       (("D", "A"), "A by first"), (("C",), "C by first")])
def test_the_first_failing_sheet_in_the_workbooks_order_is_the_one_said(bad, said):
    with pytest.raises(ValueError, match=said):
        lanes.read_sheets(["A", "B", "C", "D"], "first", _load_failing(*bad), (["A", "C"], ["B", "D"]),
                          lambda: "second")


def test_sheets_the_second_reader_could_not_open_for_are_read_by_the_first():
    def cannot_open():
        raise OSError("no memory for a second reader")
    got = lanes.read_sheets(["A", "B", "C"], "first", _load_failing(), (["A"], ["B", "C"]), cannot_open)
    assert got == {"A": "A by first", "B": "B by first", "C": "C by first"}


@pytest.fixture
def two_readers(monkeypatch):
    """Every book with two or more input sheets read by two readers: the number of second
    readers opened (so a test cannot pass by reading with one)."""
    opened = []
    monkeypatch.setattr(lanes, "MIN_BYTES", 0)
    monkeypatch.setattr(lanes, "MIN_SAVED", -1.0)
    monkeypatch.setattr(read_module, "free_cores", lambda: True)
    # (small books' shared strings can outweigh their sheets: no head start, so any two
    # sheets go to two readers)
    monkeypatch.setattr(read_module, "split", lambda sizes, opening: lanes.split(sizes, 0))
    real = read_module.open_reader

    def counted(source, book):
        opened.append(book)
        return real(source, book)
    monkeypatch.setattr(read_module, "open_reader", counted)
    return opened


def one_reader(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(read_module, "split", lambda sizes, opening: None)
        return read_book(path)


def same_book(a, b):
    assert a.tables.keys() == b.tables.keys()
    for name, t in a.tables.items():
        u = b.tables[name]
        assert (t.headers, t.columns, t.sheet, t.header_row, t.is_table, t.below_table_from, t.detached_row) == \
               (u.headers, u.columns, u.sheet, u.header_row, u.is_table, u.below_table_from, u.detached_row)
        assert t.percent.keys() == u.percent.keys() and all((t.percent[k] == u.percent[k]).all() for k in t.percent)
        assert (t.rows == u.rows).all()
        assert t.data.dtypes.equals(u.data.dtypes) and t.data.equals(u.data)
    assert (a.sheet_names, a.date1904, a.signature, a.source) == (b.sheet_names, b.date1904, b.signature, b.source)


def test_the_demo_read_by_two_readers_is_the_demo_read_by_one(tmp_path, monkeypatch, two_readers):
    path = tmp_path / "demo.xlsx"
    generate_book(path, scale="demo", writer="fast")
    same_book(read_book(path), one_reader(path, monkeypatch))
    assert two_readers == ["demo.xlsx"]


def test_real_workbooks_read_by_two_readers_as_by_one(tmp_path, monkeypatch, two_readers):
    # the corpus's real-world sheets (and the workbooks calamine reads as a worksheets-only
    # copy) as a Receipts sheet and a Shipments table: where those are two sheets
    read = 0
    for path in sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm")):
        copy = tmp_path / path.name
        if not as_massbal_copy(path, copy):
            continue
        try:
            alone = one_reader(copy, monkeypatch)
        except BookReadError as e:
            with pytest.raises(BookReadError) as both:
                read_book(copy)
            assert str(both.value) == str(e)
            continue
        if len({t.sheet for t in alone.tables.values() if t.headers}) < 2:
            continue
        before = len(two_readers)
        same_book(read_book(copy), alone)
        assert len(two_readers) == before + 1, path.name
        read += 1
    assert read >= 5


def test_a_sheet_failing_on_the_second_reader_is_said_as_by_one(tmp_path, monkeypatch, two_readers):
    path = tmp_path / "demo.xlsx"
    generate_book(path, scale="demo", writer="fast")
    real = read_module._load_sheet_group

    def broken(reader, sheet, *args):
        if sheet == "Shipments":
            raise ValueError("a sheet calamine could not read")
        return real(reader, sheet, *args)
    monkeypatch.setattr(read_module, "_load_sheet_group", broken)
    with pytest.raises(BookReadError) as alone:
        one_reader(path, monkeypatch)
    with pytest.raises(BookReadError) as both:
        read_book(path)
    assert str(both.value) == str(alone.value) == \
        "demo.xlsx cannot be read (ValueError: a sheet calamine could not read)"
    assert two_readers == ["demo.xlsx"]
