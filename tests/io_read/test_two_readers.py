"""The input sheets parsed on two calamine readers at once (xlsx/read/two_readers.py).

Real readers (fastexcel) on the real demo workbook: the sheets two readers load are the
sheets one reader loads, a failure is reported as one reader in the sheets' order would
meet it, and the cost model is checked against hand-worked schedules.
"""
from __future__ import annotations

import threading

import fastexcel
import pytest

from massbal.books.demo import write_demo
from massbal.xlsx.read import two_readers
from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.read.two_readers import load_sheets, two_readers_pay

MB = 1 << 20


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"))


def test_two_readers_pay_for_a_big_book_of_several_sheets():
    # The 980k bench book: sheets of 124, 76, 59, 26 and 9 MB, shared strings of 35 MB.
    # Biggest first to whichever reader is free: the first takes 124, then 26 (150) and 9
    # (159); the second starts at 35 and takes 76 (111) and 59 (170). 170 <= 0.85 x 294.
    assert two_readers_pay([124 * MB, 76 * MB, 59 * MB, 26 * MB, 9 * MB], 35 * MB, cores=2)
    # on one core the second reader's opening would only add its time
    assert not two_readers_pay([124 * MB, 76 * MB, 59 * MB, 26 * MB, 9 * MB], 35 * MB, cores=1)


@pytest.mark.parametrize("sizes, open_cost", [
    ([6 * MB, 5 * MB, 4 * MB], 0),  # 15 MB in all: less than a thread is worth
    ([300 * MB], 0),                # one sheet: nothing to share
    ([40 * MB, 2 * MB], 10 * MB),   # 40 alone vs 42: the second reader saves too little
])
def test_two_readers_do_not_pay(sizes, open_cost):
    assert not two_readers_pay(sizes, open_cost, cores=2)


def _frames(reader, sheet):
    return reader.load_sheet(sheet, header_row=None).to_pandas()


def test_two_readers_load_what_one_loads(demo):
    names = fastexcel.read_excel(str(demo)).sheet_names
    sizes = {name: len(names) - i for i, name in enumerate(names)}
    alone = load_sheets(sizes, _frames, fastexcel.read_excel(str(demo)), None)
    # each reader's first sheet waits for the other reader's: both were at work at once
    both = threading.Barrier(2, timeout=60)
    readers = set()

    def load(reader, sheet):
        if id(reader) not in readers:
            readers.add(id(reader))
            both.wait()
        return _frames(reader, sheet)

    together = load_sheets(sizes, load, fastexcel.read_excel(str(demo)), lambda: fastexcel.read_excel(str(demo)))
    assert len(readers) == 2
    assert list(together) == list(alone) == names
    for name in names:
        assert together[name].equals(alone[name]), name


def test_the_first_failing_sheet_in_order_is_reported(demo):
    # "Missing B" is the biggest, so loaded (and failing) first; one reader going through
    # the sheets in their order would have met "Missing A" first, and that is what is said.
    sizes = {"Items": 5, "Missing A": 1, "Receipts": 4, "Missing B": 10}
    for second in (None, lambda: fastexcel.read_excel(str(demo))):
        with pytest.raises(fastexcel.FastExcelError, match="Missing A"):
            load_sheets(sizes, _frames, fastexcel.read_excel(str(demo)), second)


def test_a_second_reader_that_cannot_open_leaves_its_share_to_the_first(demo):
    def cannot_open():
        return fastexcel.read_excel(str(demo.with_name("no such book.xlsx")))

    names = fastexcel.read_excel(str(demo)).sheet_names
    loaded = load_sheets(dict.fromkeys(names, 1), _frames, fastexcel.read_excel(str(demo)), cannot_open)
    assert list(loaded) == names


def test_read_book_on_two_readers_is_read_book_on_one(demo, monkeypatch):
    one = read_book(demo)
    monkeypatch.setattr(two_readers, "MIN_BYTES", 0)
    monkeypatch.setattr(two_readers, "MIN_GAIN", 1.0)
    monkeypatch.setattr(two_readers, "usable_cores", lambda: 2)  # (a one-core machine too)
    two = read_book(demo)
    assert list(two.tables) == list(one.tables)
    for name, table in one.tables.items():
        other = two.tables[name]
        assert other.data.equals(table.data), name
        assert (other.rows == table.rows).all() and other.columns == table.columns, name
