"""The Change log's record made once the result sheets are planned (logged_write's Later),
beside a big sheet being made on the second thread: the same file parts whether the
sheets are given or made, and a record that cannot be made leaves the book as it was."""
from __future__ import annotations

import zipfile

import pytest
from iowrite_helpers import oats_receipts_book

from massbal.engine.record.blocks import TableBlocks
from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.write import change_log
from massbal.xlsx.write.change_log import logged_write


def _book(path):
    return oats_receipts_book(path, 300)


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_sheets_given_or_made_write_the_same_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(change_log, "utc_now", lambda: change_log.datetime(2025, 12, 5, 9, 0))
    given, made = _book(tmp_path / "given.xlsx"), _book(tmp_path / "made.xlsx")
    made.write_bytes(given.read_bytes())
    logged_write(given, [], read_book(given), "Reconcile", backup=False)
    asked = []
    logged_write(made, lambda: asked.append(1) or [], read_book(made), "Reconcile", backup=False)
    assert asked == [1]
    assert _parts(given) == _parts(made)


def test_a_state_that_cannot_be_encoded_fails_the_write_untouched(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("cannot encode")
    monkeypatch.setattr(TableBlocks, "to_text", broken)
    path = _book(tmp_path / "b.xlsx")
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="cannot encode"):
        logged_write(path, lambda: [], read_book(path), "Reconcile", backup=False)
    assert path.read_bytes() == before
