"""The user's file is never half-written, never written while open, and can be undone."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import recs
from iowrite_helpers import CORPUS, copy_writable, oats_receipts_book

from massbal.xlsx.write.safe_save import (
    NoBackup,
    WorkbookChanged,
    WorkbookLocked,
    WorkbookReadOnly,
    backup_path,
    replace_atomically,
    undo,
)
from massbal.xlsx.write.write_results import write_results
from massbal.xlsx.write.zip_copy import PackageError

TODAY = date(2025, 12, 5)
HERE = Path(__file__).parent


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "Book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Receipts"
    wb.active["A1"] = "Date"
    wb.save(path)
    return path


def _folder_state(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): _sha(p) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("lock", ["~$Book.xlsx", ".~lock.Book.xlsx#"])
def test_refuses_when_the_book_is_open(book, lock):
    (book.parent / lock).write_text("owner")
    before = _folder_state(book.parent)
    with pytest.raises(WorkbookLocked) as e:
        write_results(book, recs.reconciliation())
    assert "open in Excel" in str(e.value) and "\n" not in str(e.value)
    assert _folder_state(book.parent) == before  # nothing written, no backup, no temp file


def test_refuses_a_read_only_book(book):
    os.chmod(book, 0o444)
    before = _folder_state(book.parent)
    with pytest.raises(WorkbookReadOnly) as e:
        write_results(book, recs.reconciliation())
    assert "read-only" in str(e.value) and "\n" not in str(e.value)
    assert _folder_state(book.parent) == before


@pytest.mark.parametrize("content", [b"not a workbook at all", b"\xd0\xcf\x11\xe0" + b"\0" * 600])
def test_refuses_a_file_that_is_not_a_workbook(tmp_path, content):
    path = tmp_path / "old.xlsx"
    path.write_bytes(content)
    with pytest.raises(PackageError) as e:
        write_results(path, recs.reconciliation())
    assert "\n" not in str(e.value)
    assert path.read_bytes() == content and sorted(os.listdir(tmp_path)) == ["old.xlsx"]


def test_refuses_strict_open_xml_untouched(tmp_path):
    path = copy_writable(CORPUS / "oxsdk_xl8galry_strict.xlsx", tmp_path)
    before = _sha(path)
    with pytest.raises(PackageError, match="Strict Open XML"):
        write_results(path, recs.reconciliation())
    assert _sha(path) == before


def test_a_book_saved_meanwhile_is_not_overwritten(book):
    def write(fh):
        fh.write(b"new")
        book.write_bytes(book.read_bytes() + b"")  # same bytes, but saved again
        os.utime(book, ns=(1, 1))
    saved = book.read_bytes()
    with pytest.raises(WorkbookChanged):
        replace_atomically(str(book), write)
    assert book.read_bytes() == saved
    assert [p.name for p in book.parent.iterdir()] == ["Book.xlsx"]


def test_undo_restores_the_original_bytes_and_undo_again_redoes(book):
    original = book.read_bytes()
    with pytest.raises(NoBackup):
        undo(book)
    report = write_results(book, recs.reconciliation(), today=TODAY)
    assert report.backup == backup_path(str(book.resolve()))
    assert Path(report.backup).parent.name == ".massbal"
    written = book.read_bytes()
    assert written != original
    undo(book)
    assert book.read_bytes() == original
    undo(book)
    assert book.read_bytes() == written
    assert "Balance" in openpyxl.load_workbook(book).sheetnames


def test_write_keeps_the_files_permissions(book):
    os.chmod(book, 0o640)
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    assert os.stat(book).st_mode & 0o777 == 0o640
    assert not (book.parent / ".massbal").exists()


class _KillServer:
    """Drives killer.py: a process that forks one writer per trial and kills it."""

    def __init__(self, path: Path, rows: int, *mode: str):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parents[1] / "src"), str(HERE)]))
        self.proc = subprocess.Popen([sys.executable, str(HERE / "killer.py"), str(path), str(rows), *mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout.readline().strip() == "ready"

    def ask(self, request: str) -> tuple[str, float]:
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        what, value = self.proc.stdout.readline().rsplit(" ", 1)
        return what, float(value)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class _Checker:
    """Restores the old workbook before each trial; after it, the book must be the old
    or the new one, whole, and the backup a whole earlier version."""

    def __init__(self, path: Path, server: _KillServer):
        self.path, self.server = path, server
        self.old_bytes = path.read_bytes()
        self.old = _sha(path)
        what, self.full = server.ask("time -1")
        assert what == "exit 0"
        self.new_bytes = path.read_bytes()
        self.new = _sha(path)
        assert self.new != self.old
        self.seen = {"old": [], "new": []}

    def count(self, calls: str) -> int:
        """How many of these system calls a write from the old workbook makes."""
        self.path.write_bytes(self.old_bytes)
        what, n = self.server.ask(f"trace {calls} 0")
        assert what == "exit 0"
        return int(n)

    def trial(self, request: str, label: float) -> str:
        self.path.write_bytes(self.old_bytes)
        self.server.ask(request)
        now = _sha(self.path)
        assert now in (self.old, self.new), f"a half-written workbook after '{request}'"
        with zipfile.ZipFile(self.path) as z:
            assert z.testzip() is None
        backup = Path(backup_path(str(self.path)))
        if backup.exists():
            assert _sha(backup) in (self.old, self.new)
        which = "old" if now == self.old else "new"
        self.seen[which].append(label)
        return which


def _book(tmp_path) -> Path:
    path = tmp_path / "Book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Receipts"
    wb.save(path)
    return path


def test_killed_at_random_moments_the_book_is_old_or_new(tmp_path):
    """SIGKILL the writer at random moments: the file at the path is always the old
    workbook or the complete new one, and opens."""
    path = _book(tmp_path)
    server = _KillServer(path, 20000)
    try:
        check = _Checker(path, server)
        rng = random.Random(20251205)
        for _ in range(10):  # anywhere in the run
            check.trial(f"time {rng.uniform(0, check.full)}", 0)
        for _ in range(10):  # and often near the end, when the new file is put in place
            d = rng.uniform(0.8 * check.full, 1.1 * check.full)
            check.trial(f"time {d}", d)
        assert check.seen["old"]
        # temp files of killed runs are cleaned up by the next run
        path.write_bytes(check.old_bytes)
        assert server.ask("time -1")[0] == "exit 0"
        assert path.read_bytes() == check.new_bytes
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~massbal-")]
    finally:
        server.close()


def test_killed_while_logging_the_change_log_is_the_old_or_the_new_chain(tmp_path):
    """The Change log is written in the same replacement as the result sheets: a writer
    killed at any moment leaves the old log or the new one, never a chain with a hole."""
    from massbal.xlsx.read.read_book import read_book
    from massbal.xlsx.write.change_log import logged_write, read_kept, verify_log
    path = oats_receipts_book(tmp_path / "Book.xlsx", 200)
    logged_write(path, [], read_book(path), "Reconcile", backup=False)   # the log's first entry
    ws = openpyxl.load_workbook(path)
    ws["Receipts"]["D2"] = 999                                           # a change the next write logs
    ws.save(path)
    old = path.read_bytes()
    server = _KillServer(path, 5000, "logged")
    try:
        what, full = server.ask("time -1")
        assert what == "exit 0" and len(read_kept(path).entries) == 2
        # each new log entry holds the time it was written, so 'new' is told by its content
        seen = set()
        rng = random.Random(20251206)
        for _ in range(10):
            path.write_bytes(old)
            server.ask(f"time {rng.uniform(0.2 * full, 2.5 * full)}")
            if path.read_bytes() == old:
                seen.add("old")
                continue
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None
            log = verify_log(path)
            assert log.ok and log.entries == 2, log
            assert openpyxl.load_workbook(path)["Change log"]["K3"].value == "999"   # the logged change
            seen.add("new")
        assert seen == {"old", "new"}
    finally:
        server.close()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_killed_at_every_file_system_step_the_book_is_old_or_new(tmp_path):
    """Kill the writer exactly at each file-system call of the save (strace fault
    injection): creating the temp file, each fsync, the backup link, each rename, and
    the last writes before the swap, where a copy instead of a rename would tear."""
    path = _book(tmp_path)
    server = _KillServer(path, 5000)
    try:
        check = _Checker(path, server)
        meta = "openat,link,linkat,rename,renameat,renameat2,fsync,fdatasync,unlink,unlinkat,mkdir,mkdirat"
        count = check.count(meta)
        assert count >= 5
        outcomes = [check.trial(f"trace {meta} {n}", n) for n in range(1, count + 1)]
        assert "old" in outcomes and "new" in outcomes
        writes = check.count("write")
        for n in range(max(1, writes - 12), writes + 1):
            check.trial(f"trace write {n}", n)
    finally:
        server.close()


def test_a_damaged_massbal_sheet_is_refused_untouched(book):
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    damaged = book.with_name("damaged.xlsx")
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # the Balance sheet
                data = data[: len(data) // 2]
            dst.writestr(info, data)
    before = _sha(damaged)
    with pytest.raises(PackageError) as e:
        write_results(damaged, recs.reconciliation(), today=TODAY)
    assert "damaged" in str(e.value) and "\n" not in str(e.value)
    assert _sha(damaged) == before
