"""Tables kept in row blocks (engine/record/blocks.py) report exactly what a comparison of
the whole tables reports: edits, inserts, deletes, sorts and moves across blocks, in the
log and in a closed period; a state written before blocks (version 1) is still read."""
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.record import blocks as B
from massbal.engine.record import closing as C
from massbal.engine.record.blocks import ClosedBlocks, TableBlocks
from massbal.engine.record.changelog import Stored, snapshots

HEAD = ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier"]
NOW = datetime(2025, 12, 1, 12, 0)
N = 6000


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of ~500 rows, so a table of 6,000 has a dozen (the edits land in several)."""
    monkeypatch.setattr(B, "BLOCK", 512)
    monkeypatch.setattr(B, "MIN_BLOCK", 64)
    monkeypatch.setattr(B, "MAX_BLOCK", 4096)


def rows(n=N, seed=3):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 330, n)), unit="D")
    items = rng.choice(["Oats", "Honey", "Almonds", "Raisins"], n)
    qty = np.round(rng.uniform(10, 2000, n), 2)
    return [[days[i].to_pydatetime(), str(items[i]), f"R-{i:05d}", float(qty[i]), "lb", f"S{i % 7}"] for i in range(n)]


def table(rs, objects=False):
    """Typed as the file reader types it (dates, floats, texts), or as xlwings gives
    it (Python objects)."""
    t = RawTable.from_records("Receipts", HEAD, rs)
    if objects:
        return t
    d = t.data.copy()
    d[0] = pd.to_datetime(d[0])
    d[3] = d[3].astype("float64")
    for j in (1, 2, 4, 5):
        d[j] = d[j].astype("str").where(d[j].notna(), None)   # Arrow texts where pandas keeps them so
    return RawTable(t.name, t.sheet, t.headers, d, t.rows, t.columns)


def book(rs, objects=False):
    return RawBook({"Receipts": table(rs, objects)})


def whole(st: C.BookState) -> C.BookState:
    """The same state as a massbal before blocks kept it: each table whole (version 1)."""
    def one(x, text_of):
        s = x.load()
        return Stored(text_of(s), s.digest())
    last = {k: one(x, lambda s: s.to_text()) for k, x in (st.last or {}).items()}
    closed = st.closed
    if closed is not None:
        closed = replace(closed, tables={k: one(x, lambda s: s.to_text()) for k, x in closed.tables.items()}, clean={})
    text = replace(st, last=last, closed=closed, quick={}).to_text()
    return C.BookState.from_text(text.replace('"version":2', '"version":1', 1))


def logged(st, rs, objects=False):
    return [(e.change, e.sheet, e.row, e.column, e.old, e.new, e.dated)
            for e in C.record_write(st, book(rs, objects), NOW, "ana", "Reconcile").entries]


def edits():
    base = rows()
    out = {}
    r = [list(x) for x in base]
    r[3100][3] += 1
    r[3100][2] = "R-X"
    out["edit"] = r
    r = [list(x) for x in base]
    r.insert(2500, [datetime(2025, 5, 2), "Oats", "R-NEW", 12.5, "lb", "S1"])
    out["insert"] = r
    r = [list(x) for x in base]
    del r[4000]
    out["delete"] = r
    out["sort"] = sorted(base, key=lambda x: (x[2][::-1]))
    r = [list(x) for x in base]
    r.append(r.pop(10))
    out["move"] = r
    r = [list(x) for x in base]
    moved = r.pop(20)
    moved[3] = 1.0
    r.insert(5000, moved)
    out["edit and move"] = r
    out["append"] = base + [[datetime(2025, 12, 1), "Honey", f"R-A{i}", 5.0, "lb", "S2"] for i in range(300)]
    r = [list(x) for x in base]
    r[1500] = [None] * len(HEAD)
    out["emptied"] = r
    return base, out


def test_the_tables_are_kept_in_blocks_and_read_back():
    base = rows()
    st = C.BookState.from_text(C.record_write(C.BookState(), book(base), NOW, "ana", "Reconcile").state.to_text())
    kept = st.last["Receipts"]
    assert isinstance(kept, TableBlocks) and len(kept.keys) >= 6
    snap = kept.load()
    assert len(snap) == N and snap.rows.tolist() == list(range(2, N + 2))
    assert snap.digest() == snapshots(book(base))["Receipts"].digest()


@pytest.mark.parametrize("what", ["edit", "insert", "delete", "sort", "move", "edit and move", "append", "emptied"])
def test_blocks_report_what_a_whole_comparison_reports(what):
    base, cases = edits()
    new = cases[what]
    st = C.BookState.from_text(C.record_write(C.BookState(), book(base), NOW, "ana", "Reconcile").state.to_text())
    got = logged(st, new)
    assert got == logged(whole(st), new)
    expected = {"edit": [("changed", 3102, "Quantity"), ("changed", 3102, "Lot")],
                "insert": [("added", 2502, "")], "delete": [("deleted", 4002, "was row 4002")],
                "sort": [], "move": [], "edit and move": [("changed", 5002, "Quantity")],
                "append": [("added", r, "") for r in range(N + 2, N + 302)],
                "emptied": [("deleted", 1502, "was row 1502")]}[what]
    assert sorted((c, r, col) for c, _, r, col, *_ in got) == sorted(expected)
    # only the blocks that moved were read: the table was never made whole
    cur = snapshots(book(new))
    C.record_write(st, book(new), NOW, "ana", "Reconcile", current=cur)
    assert "Receipts" not in cur._rows


def test_a_book_typed_otherwise_compares_its_blocks_as_text_and_finds_nothing():
    base, cases = edits()
    st = C.record_write(C.BookState(), book(base), NOW, "ana", "Reconcile").state
    assert logged(st, base, objects=True) == []
    assert logged(st, cases["edit"], objects=True) == logged(st, cases["edit"])


def _closed(rs):
    st = C.record_write(C.BookState(), book(rs), NOW, "ana", "Reconcile").state
    st = C.close_period(st, book(rs), pd.DataFrame(columns=["end"]), date(2025, 6, 30), NOW, "ana").state
    return C.BookState.from_text(st.to_text())


def _found(st, rs):
    f = C.closed_findings(st, book(rs))
    return sorted(zip(f["sheet"], f["row"].astype(object), f["message"], strict=True))


@pytest.mark.parametrize("what", ["edit", "insert", "delete", "sort", "move", "edit and move", "append", "emptied"])
def test_a_closed_period_kept_in_blocks_finds_what_a_whole_comparison_finds(what):
    base, cases = edits()
    st = _closed(base)
    assert isinstance(st.closed.tables["Receipts"], ClosedBlocks)
    new = cases[what]
    got = _found(st, new)
    assert got == _found(whole(st), new)
    closed_day = pd.Timestamp("2025-06-30")
    touched = {"edit": base[3100][0], "insert": datetime(2025, 5, 2), "delete": base[4000][0],
               "edit and move": base[20][0], "emptied": base[1500][0]}.get(what)
    assert len(got) == (1 if touched is not None and touched <= closed_day else 0)


def test_a_state_written_before_blocks_keeps_its_chain_and_reports_no_phantom_change():
    base, cases = edits()
    st = _closed(base)
    old = whole(st)
    assert isinstance(old.last["Receipts"], Stored) and isinstance(old.closed.tables["Receipts"], Stored)
    rec = C.record_write(old, book(base), NOW, "ana", "Reconcile")
    assert rec.entries == [] and _found(old, base) == []
    assert (rec.state.written, rec.state.last_hash) == (st.written, st.last_hash)
    assert isinstance(rec.state.last["Receipts"], TableBlocks)   # kept in blocks from now on
    got = C.record_write(old, book(cases["edit"]), NOW, "ana", "Reconcile").entries
    assert [(e.number, e.row, e.column) for e in got] == [(st.written + 1, 3102, "Lot"), (st.written + 2, 3102, "Quantity")]
    assert got[0].hash == C.seal(st.last_hash, st.written + 1, [replace(got[0], hash="")])[0].hash
    assert len(_found(old, cases["edit"])) == 1


def test_a_state_of_an_unknown_version_is_refused():
    st = C.record_write(C.BookState(), book(rows(10)), NOW, "ana", "Reconcile").state
    with pytest.raises(ValueError, match="version 3"):
        C.BookState.from_text(st.to_text().replace('"version":2', '"version":3', 1))


def test_a_table_with_no_rows_has_no_block_and_its_first_rows_are_logged():
    """A table with headers and no rows yet (a farm book's Losses, a new book's Counts) once
    made a first Reconcile fail: an empty cut had one start and no key."""
    assert len(B.cut(table([])).starts) == 0
    st = C.record_write(C.BookState(), book([]), NOW, "ana", "Reconcile").state
    st = C.BookState.from_text(st.to_text())
    got = logged(st, rows(3))
    assert [(e[0], e[2]) for e in got] == [("added", 2), ("added", 3), ("added", 4)]
