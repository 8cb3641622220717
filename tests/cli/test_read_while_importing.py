"""reconcile reads the workbook on a second thread while it imports the engine
(console.start_reading): the same workbook as read in turn, the same one-line exits."""
import pytest
import typer
from bookkit import receipt, ship
from cli_books import write_book

from massbal.cli import console
from massbal.xlsx.read import read_book as read_module


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "oats.xlsx"
    write_book(path, Items=[{"Item": "Oats", "Kind": "Ingredient"}],
               Receipts=[receipt("2025-11-04", "Oats", "O-1", 500)], Shipments=[ship("2025-11-10", "Oats", "O-1", 400)])
    return path


def same_book(a, b):
    assert a.tables.keys() == b.tables.keys()
    for name, t in a.tables.items():
        u = b.tables[name]
        assert (t.headers, t.columns, t.sheet, t.header_row, t.is_table, t.percent) == \
               (u.headers, u.columns, u.sheet, u.header_row, u.is_table, u.percent)
        assert (t.rows == u.rows).all()
        assert t.data.dtypes.equals(u.data.dtypes) and t.data.equals(u.data)
    assert (a.sheet_names, a.date1904, a.signature) == (b.sheet_names, b.date1904, b.signature)


def exit_of(run, capsys):
    with pytest.raises(typer.Exit) as e:
        run()
    return e.value.exit_code, capsys.readouterr().err


def test_the_workbook_read_on_a_thread_is_the_one_read_in_turn(book):
    same_book(console.start_reading(book)(), console.load_raw(book))


@pytest.mark.parametrize("content", [b"", b"hello, not a workbook", b"PK\x03\x04 broken"])
def test_an_unreadable_workbook_exits_as_in_turn(tmp_path, capsys, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    in_turn = exit_of(lambda: console.load_raw(path), capsys)
    assert in_turn[0] == 2 and in_turn[1].startswith("massbal: bad.xlsx")
    assert exit_of(console.start_reading(path), capsys) == in_turn
    assert exit_of(console.start_reading(tmp_path / "missing.xlsx"), capsys) == \
           exit_of(lambda: console.load_raw(tmp_path / "missing.xlsx"), capsys)


def test_a_failure_while_calamine_reads_exits_as_in_turn(book, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a sheet calamine could not read")
    monkeypatch.setattr(read_module, "_load_sheet_group", broken)
    in_turn = exit_of(lambda: console.load_raw(book), capsys)
    assert in_turn == (2, "massbal: oats.xlsx cannot be read (ValueError: a sheet calamine could not read)\n")
    assert exit_of(console.start_reading(book), capsys) == in_turn


def test_parsing_is_said_once_when_calamine_starts_and_never_for_a_file_refused_before(book, tmp_path):
    said = []
    read_module.read_book(book, lambda: said.append(1))
    assert said == [1]
    text = tmp_path / "text.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(read_module.BookReadError):
        read_module.read_book(text, lambda: said.append(2))
    assert said == [1]


def test_the_checks_and_calamines_opening_import_no_pandas():
    # they run on the reading thread while the caller imports pandas (start_reading)
    import subprocess
    import sys
    code = ("import sys, massbal.xlsx.read.opening, massbal.xlsx.read.heap; "
            "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_calamines_refusal_is_said_only_with_a_sheet_to_read(book, tmp_path, monkeypatch, capsys):
    import openpyxl

    from massbal.xlsx.read import opening
    notes = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.save(notes)

    def refused(source, name):
        raise read_module.BookReadError(f"{name} cannot be read (refused)")
    monkeypatch.setattr(opening, "open_reader", refused)
    assert read_module.read_book(notes).tables == {}
    with pytest.raises(read_module.BookReadError, match=r"^oats.xlsx cannot be read \(refused\)$"):
        read_module.read_book(book)
    assert exit_of(console.start_reading(book), capsys) == (2, "massbal: oats.xlsx cannot be read (refused)\n")
    assert console.start_reading(notes)().tables == {}
