"""A big sheet made and deflated on a second thread (ahead.py): the same file as made in
line, and a failure there or elsewhere in the write leaves the book as it was."""
from __future__ import annotations

import errno
import hashlib
import shutil
import tempfile
import threading
import zipfile
import zlib
from datetime import date

import openpyxl
import pytest
import recs

from massbal.xlsx.write import ahead as ahead_module
from massbal.xlsx.write import write_results as W
from massbal.xlsx.write.ahead import Ahead
from massbal.xlsx.write.zip_copy import deflate_to

ROWS = W.BIG_SHEET_ROWS + 4321   # a Ledger big enough to be made ahead
TODAY = date(2025, 12, 5)


def _book(path):
    openpyxl.Workbook().save(path)
    return path


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None   # every member's CRC and sizes agree with its bytes
        return {n: z.read(n) for n in z.namelist()}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _making() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "massbal-sheet"]


class Counted(Ahead):
    """Ahead, each one made kept (to look at after the write)."""
    made: list[Ahead] = []

    def __init__(self, chunks, level):
        super().__init__(chunks, level)
        Counted.made.append(self)


@pytest.fixture(autouse=True)
def _none_made_yet():
    Counted.made.clear()


@pytest.fixture
def rec():
    return recs.reconciliation(ledger_rows=ROWS)


def test_the_sheet_made_ahead_is_the_sheet_made_in_line(tmp_path, rec, monkeypatch):
    monkeypatch.setattr(W, "Ahead", Counted)
    source = _book(tmp_path / "source.xlsx")   # one book for both (openpyxl stamps the second)
    shutil.copyfile(source, tmp_path / "ahead.xlsx")
    shutil.copyfile(source, tmp_path / "inline.xlsx")
    ahead = W.write_results(tmp_path / "ahead.xlsx", rec, today=TODAY, backup=False)
    assert len(Counted.made) == 1   # the Ledger, and no other sheet: the rest are small
    monkeypatch.setattr(W, "ahead_pays", lambda: False)
    inline = W.write_results(tmp_path / "inline.xlsx", rec, today=TODAY, backup=False)
    assert [(s.sheet, s.rows) for s in ahead.sheets] == [(s.sheet, s.rows) for s in inline.sheets]
    assert _parts(tmp_path / "ahead.xlsx") == _parts(tmp_path / "inline.xlsx")
    assert not _making()


def test_a_failure_while_the_sheet_is_made_ahead_leaves_the_book_untouched(tmp_path, rec, monkeypatch):
    path = _book(tmp_path / "book.xlsx")
    before = _sha(path)
    real = W.sheet_xml

    def breaks_midway(*args, **kw):
        for i, chunk in enumerate(real(*args, **kw)):
            if i == 5:
                raise OSError("the disk filled up")
            yield chunk
    monkeypatch.setattr(W, "sheet_xml", breaks_midway)
    with pytest.raises(OSError, match="disk filled"):
        W.write_results(path, rec, today=TODAY, backup=False)
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]
    assert not _making()


def test_a_failure_later_in_the_plan_stops_the_sheet_being_made(tmp_path, rec, monkeypatch):
    path = _book(tmp_path / "book.xlsx")
    before = _sha(path)
    def no_charts(*args, **kw):   # the Dashboard is planned after the Ledger
        raise RuntimeError("planning failed")
    monkeypatch.setattr(W, "Ahead", Counted)
    monkeypatch.setattr(W._Job, "_charts", no_charts)
    with pytest.raises(RuntimeError, match="planning failed"):
        W.write_results(path, rec, today=TODAY, backup=False)
    assert len(Counted.made) == 1 and not _making()
    assert Counted.made[0]._file.closed
    assert _sha(path) == before


def test_deflate_to_gives_one_stream_with_its_crc_and_sizes(tmp_path):
    chunks = [b"<row>%d</row>" % i * 50 for i in range(2000)]
    for level, threaded in ((1, True), (6, False)):
        with open(tmp_path / "out.bin", "w+b") as fh:
            crc, csize, usize = deflate_to(fh, iter(chunks), level, threaded)
            fh.seek(0)
            data = fh.read()
        whole = b"".join(chunks)
        assert (len(data), usize, crc) == (csize, len(whole), zlib.crc32(whole))
        assert zlib.decompress(data, -15) == whole


def test_later_sheets_are_made_while_the_big_sheet_is_being_made(tmp_path, rec, monkeypatch):
    # the Change log's record (logged_write's Later) is made once the result sheets are
    # planned: the Ledger is then being made on the second thread
    monkeypatch.setattr(W, "Ahead", Counted)
    from massbal.layout.sheets import written_sheets
    specs = written_sheets(rec)
    seen = []

    def make():
        seen.append(len(Counted.made))
        return specs[-1:]
    later = W.Later((specs[-1].name,), make)
    W.write_sheets(str(_book(tmp_path / "book.xlsx")), specs[:-1], today=TODAY, backup=False, later=later)
    assert seen == [1]
    with zipfile.ZipFile(tmp_path / "book.xlsx") as z:
        assert z.testzip() is None
    wrong = W.Later(("Another",), make)
    path = _book(tmp_path / "other.xlsx")
    before = _sha(path)
    with pytest.raises(AssertionError, match="other sheets than it named"):
        W.write_sheets(str(path), specs[:-1], today=TODAY, backup=False, later=wrong)
    assert _sha(path) == before and not _making()


def test_what_the_later_sheets_raise_is_raised_as_it_was(tmp_path, rec):
    # a KeyError in the Change log's record is not a damaged workbook
    def make():
        raise KeyError("Receipts")
    path = _book(tmp_path / "book.xlsx")
    before = _sha(path)
    with pytest.raises(KeyError, match="Receipts"):
        W.write_sheets(str(path), [], today=TODAY, backup=False, later=W.Later(("Change log",), make))
    assert _sha(path) == before


_TEMPORARY_FILE = tempfile.TemporaryFile


class _FillsUp:
    """A temporary file on a disk that fills up after `room` bytes."""

    def __init__(self, room: int):
        self.inner, self.room = _TEMPORARY_FILE(), room

    def write(self, data):
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("room", [None, 100_000])
def test_a_full_temporary_folder_never_fails_the_write(tmp_path, rec, monkeypatch, room):
    # None: the temporary file cannot be made at all; else the disk fills while it is written
    source = _book(tmp_path / "source.xlsx")
    shutil.copyfile(source, tmp_path / "inline.xlsx")
    shutil.copyfile(source, tmp_path / "full.xlsx")
    monkeypatch.setattr(W, "ahead_pays", lambda: False)
    W.write_results(tmp_path / "inline.xlsx", rec, today=TODAY, backup=False)
    monkeypatch.setattr(W, "ahead_pays", lambda: True)

    def temporary_file(**kw):
        if room is None:
            raise OSError(errno.ENOSPC, "No space left on device")
        return _FillsUp(room)
    monkeypatch.setattr(ahead_module.tempfile, "TemporaryFile", temporary_file)
    W.write_results(tmp_path / "full.xlsx", rec, today=TODAY, backup=False)
    assert _parts(tmp_path / "full.xlsx") == _parts(tmp_path / "inline.xlsx")
    assert not _making()
