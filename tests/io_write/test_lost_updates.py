"""Never a lost edit (issue 14, items 3 and 8): results computed from a workbook are not
written over a newer one, two writers do not both win, and undo never throws away an
edit saved after massbal wrote. Real .xlsx files, real file system."""
from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import recs

from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.write.safe_save import WorkbookBusy, WorkbookChanged, backup_path, undo
from massbal.xlsx.write.write_guard import lock_path
from massbal.xlsx.write.write_results import write_results

TODAY = date(2025, 12, 5)


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "Book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Receipts"
    wb.active.append(["Date", "Item", "Lot", "Quantity", "Unit"])
    wb.active.append([date(2025, 11, 3), "Oats", "L1", 1000, "lb"])
    wb.save(path)
    return path


def save_in_excel(path: Path, value: str = "typed later") -> None:
    """What a user does meanwhile: open, type, save (a new file at the path)."""
    wb = openpyxl.load_workbook(path)
    wb["Receipts"]["H1"] = value
    wb.save(path)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1_000_000))


def test_saved_while_reconcile_computed_is_not_overwritten(book):
    raw = read_book(book)  # Reconcile reads ...
    save_in_excel(book)  # ... the user saves in Excel while it computes ...
    saved = _sha(book)
    with pytest.raises(WorkbookChanged) as e:  # ... and the old figures are not written
        write_results(book, recs.reconciliation(), today=TODAY, before=raw.signature)
    assert "after massbal read it" in str(e.value) and "\n" not in str(e.value)
    assert _sha(book) == saved and openpyxl.load_workbook(book)["Receipts"]["H1"].value == "typed later"


def test_two_reconciles_of_one_book_one_wins_the_other_refuses(book):
    first, second = read_book(book), read_book(book)
    write_results(book, recs.reconciliation(), today=TODAY, before=first.signature)
    won = _sha(book)
    with pytest.raises(WorkbookChanged):
        write_results(book, recs.reconciliation(), today=TODAY, before=second.signature)
    assert _sha(book) == won


def test_a_running_writer_holds_a_lock_the_other_respects(book):
    write_results(book, recs.reconciliation(), today=TODAY)  # something to undo
    lock = Path(lock_path(str(book.resolve())))
    lock.write_text(f"{os.getpid()} {socket.gethostname()}")  # a live massbal run writing
    before = _sha(book)
    with pytest.raises(WorkbookBusy) as e:
        write_results(book, recs.reconciliation(), today=TODAY, before=read_book(book).signature)
    assert "another massbal run" in str(e.value)
    with pytest.raises(WorkbookBusy):
        undo(book)
    assert _sha(book) == before and lock.exists()  # not ours to remove
    lock.unlink()


def test_a_lock_left_by_a_killed_run_is_taken_over(book):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = Path(lock_path(str(book.resolve())))
    lock.write_text(f"{int(dead.stdout)} {socket.gethostname()}")
    write_results(book, recs.reconciliation(), today=TODAY)
    assert "Balance" in openpyxl.load_workbook(book).sheetnames and not lock.exists()


def test_the_lock_names_its_owner_from_the_moment_it_exists(book):
    """The lock is linked in with its owner already written (a run killed between creating
    it and writing it left an empty lock that refused every later run); the owner file of a
    run killed before it linked its lock in is cleaned up, and holds no one back."""
    from massbal.xlsx.write.write_guard import book_lock
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = Path(lock_path(str(book.resolve())))
    claim = lock.with_name(f"{lock.name}.{int(dead.stdout)}")
    claim.write_text(f"{int(dead.stdout)} {socket.gethostname()}")
    with book_lock(str(book.resolve())):
        assert lock.read_text() == f"{os.getpid()} {socket.gethostname()}"
        assert [p.name for p in book.parent.iterdir() if p.name.startswith(lock.name)] == [lock.name]
    assert not lock.exists()
    write_results(book, recs.reconciliation(), today=TODAY)
    assert not [p for p in book.parent.iterdir() if p.name.startswith(lock.name)]


def test_undo_refuses_to_throw_away_an_edit_saved_after_the_write(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    save_in_excel(book, "my correction")
    edited = _sha(book)
    with pytest.raises(WorkbookChanged) as e:
        undo(book)
    assert "nothing was undone" in str(e.value)
    assert _sha(book) == edited


def test_backups_keep_generations(book):
    versions = [_sha(book)]
    for _ in range(3):
        write_results(book, recs.reconciliation(), today=TODAY, before=read_book(book).signature)
        versions.append(_sha(book))
        save_in_excel(book, f"edit {len(versions)}")  # each Reconcile starts from an edited book
        versions.append(_sha(book))
    newest = Path(backup_path(str(book.resolve())))
    kept = [_sha(newest)] + [_sha(newest.with_name(f"Book.backup.{n}.xlsx")) for n in (2, 3)]
    # the book as it was before each of the three writes: edits 3, 2 and the original
    assert kept == [versions[4], versions[2], versions[0]]


def _findings(rows_and_lots):
    from massbal.engine import findings as F
    return F.combine([F.make("error", "UNKNOWN_LOT", "Receipts", [r], "Lot", "C", f"Lot {lot} was never received.")
                      for r, lot in rows_and_lots])


def test_an_exceptions_note_stays_on_its_finding_when_a_row_is_inserted_above(book):
    wb_rows = lambda ws: [dict(zip([c.value for c in ws[1]], (c.value for c in r), strict=True))  # noqa: E731
                          for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]
    write_results(book, recs.reconciliation(findings=_findings([(17, "L-9"), (18, "L-10")])), today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Exceptions"]
    notes = [c.value for c in ws[1]].index("Notes") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, [c.value for c in ws[1]].index("Message") + 1).value == "Lot L-10 was never received.":
            ws.cell(r, notes).value = "relabelled, see PO-7"
    wb.save(book)
    # the user inserts a receipt above both rows: the same findings now sit on rows 18 and 19
    report = write_results(book, recs.reconciliation(findings=_findings([(18, "L-9"), (19, "L-10")])), today=TODAY)
    rows = wb_rows(openpyxl.load_workbook(book)["Exceptions"])
    assert [r["Notes"] for r in rows if r["Code"] == "UNKNOWN_LOT"] == [None, "relabelled, see PO-7"]
    assert [r["Row"] for r in rows if r["Notes"]] == [19]
    assert report.notes_orphaned == 0
