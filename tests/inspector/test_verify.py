"""`massbal verify`: a copy as exported passes; a changed quantity, a formula typed over,
an edited cover or the wrong fingerprint is caught and named."""
from __future__ import annotations

import pytest

from massbal.inspector.export import export_inspector
from massbal.inspector.verify import verify

from .books import granola
from .xlsxkit import set_number, sheet_rows, table


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify")
    res = export_inspector(granola(), d / "copy.xlsx", start="2025-03-01", end="2025-03-31", lots=["O1"], pdf=False)
    return res


def _ledger_cell(path, lot: str, kind: str, column: str) -> tuple[str, int]:
    rows = sheet_rows(path, "Ledger")
    top = next(i for i, r in enumerate(rows) if r and r[0] == "Date")
    head = list(rows[top])
    i = next(i for i, r in enumerate(rows[top + 1:]) if r[head.index("Kind")] == kind and r[head.index("Lot")] == lot)
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[head.index(column)], top + 2 + i


def test_copy_as_exported_verifies(copy):
    res = verify(copy.path)
    assert res.ok, res.problems
    assert res.fingerprint == copy.fingerprint == res.stated
    cover = dict((r[0], r[1]) for r in sheet_rows(copy.path, "Cover") if r and r[0])
    assert cover["Fingerprint (SHA-256)"] == copy.fingerprint


def test_a_changed_quantity_is_named(copy, tmp_path):
    col, row = _ledger_cell(copy.path, "O1", "receipt", "Quantity")
    bad = tmp_path / "changed.xlsx"
    set_number(copy.path, bad, "Ledger", f"{col}{row}", 2100.0)
    res = verify(bad)
    assert not res.ok
    assert res.fingerprint != copy.fingerprint
    assert res.problems == [f"Ledger row {row} changed: {col}{row} (Quantity)."]


def test_a_same_value_rewritten_is_not_a_change(copy, tmp_path):
    col, row = _ledger_cell(copy.path, "O1", "receipt", "Quantity")
    same = tmp_path / "same.xlsx"
    set_number(copy.path, same, "Ledger", f"{col}{row}", 2000.0)  # written as 2000.0, not 2000
    assert verify(same).ok


def test_a_formula_typed_over_is_named(copy, tmp_path):
    import re
    import zipfile

    from .xlsxkit import _part
    bal = table(copy.path, "Balance", "Item")
    top = next(i for i, r in enumerate(sheet_rows(copy.path, "Balance")) if r and r[0] == "Item")
    row = top + 2 + next(i for i, r in enumerate(bal) if r["Item"] == "Oats")
    col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[list(bal[0]).index("Received")]
    bad = tmp_path / "typed.xlsx"
    with zipfile.ZipFile(copy.path) as z, zipfile.ZipFile(bad, "w") as out:
        part = _part(copy.path, "Balance")
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == part:  # the formula replaced by the number it showed
                data = re.sub(rf'(<c r="{col}{row}"[^>]*>)<f>.*?</f>', r"\1", data.decode()).encode()
            out.writestr(item, data)
    res = verify(bad)
    assert not res.ok
    assert res.problems == [f"Balance row {row} changed: {col}{row} (Received)."]


def test_an_edited_cover_and_a_wrong_fingerprint_are_caught(copy, tmp_path):
    assert not verify(copy.path, expected="0" * 64).ok
    assert verify(copy.path, expected=copy.fingerprint.upper()).ok
    import zipfile
    bad = tmp_path / "cover.xlsx"
    with zipfile.ZipFile(copy.path) as z, zipfile.ZipFile(bad, "w") as out:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(f"<t>{copy.fingerprint}</t>".encode(), b"<t>" + b"f" * 64 + b"</t>")
            out.writestr(item, data)
    res = verify(bad)
    assert not res.ok and "cover was edited" in res.problems[0]


def test_a_workbook_that_is_not_an_export_says_so(tmp_path):
    from .books import to_xlsx
    path = to_xlsx(granola(), tmp_path / "book.xlsx")
    res = verify(path)
    assert not res.ok and "no massbal fingerprint" in res.problems[0]


def test_a_copy_that_comes_back_as_a_zip_bomb_is_refused_not_read(copy, tmp_path):
    """verify reads files that come back from other people: through the reader's package
    access, with its size limits (a part expanding over 500 times past 100 MB)."""
    import zipfile

    from massbal.xlsx.read.errors import BookReadError
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(copy.path) as z, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in z.infolist():
            out.writestr(item, z.read(item.filename))
        out.writestr("xl/media/zeros.bin", bytes(101 * 1024**2), compresslevel=9)
    with pytest.raises(BookReadError, match="zip bomb"):
        verify(bomb)
