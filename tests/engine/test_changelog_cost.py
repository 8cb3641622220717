"""What keeps change detection cheap (issue 13, item 4) never hides a change: the quick
keys of unchanged tables, the closed-period look remembered per content, the stored form."""
import base64
import json
import zlib
from datetime import date, datetime

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.record import closing as C
from massbal.engine.record.changelog import Snapshot, snapshot, snapshots
from massbal.engine.record.current import quick_key

HEAD = ["Date", "Item", "Lot", "Quantity", "Unit"]
ROWS = [
    [datetime(2025, 3, 4), "Oats", "R-1", 1000.0, "lb"],
    [datetime(2025, 3, 9), "Oats", "R-2", 500.0, "lb"],
    [datetime(2025, 4, 2), "Honey", "R-3", 200.0, "kg"],
    [datetime(2025, 8, 1), "Oats", "R-4", 750.0, "lb"],
]
NOW = datetime(2025, 9, 1, 12, 0)
BATCHES = ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"]
INPUTS = ["Batch", "Item", "Lot", "Quantity", "Unit"]


def typed(name, head, rows, types=None):
    """A table typed as the file reader types it: dates, floats, texts (pandas' own dtypes)."""
    t = RawTable.from_records(name, head, rows)
    data = t.data.copy()
    for j, h in enumerate(head):
        kind = (types or {}).get(h)
        if kind is None:
            kind = "date" if h == "Date" else "float" if h == "Quantity" else "text"
        data[j] = (pd.to_datetime(data[j]) if kind == "date" else data[j].astype("float64") if kind == "float"
                   else data[j].astype(kind) if kind != "text" else data[j].astype(object))
    return RawTable(t.name, t.sheet, t.headers, data, t.rows, t.columns)


def book(rows, **more):
    return RawBook({"Receipts": typed("Receipts", HEAD, rows), **more})


def test_the_stored_form_reads_back_exactly_and_the_first_form_still_reads():
    odd = [[datetime(2025, 3, 4), "Oats\x1fx", "R\x1e1", 1.5, "lb"], [None] * 5,
           [datetime(2025, 3, 5), "línea\nzwei", "", 2.0, "lb"], [datetime(2025, 3, 6), "", "R-3", np.nan, ""]]
    for rows in (ROWS, odd, ROWS[:1], []):
        s = snapshot(RawTable.from_records("Receipts", HEAD, rows))
        for text in (s.to_text(), base64.b64encode(zlib.compress(json.dumps(s.to_dict()).encode())).decode()):
            back = Snapshot.from_text(text)
            assert (back.table, back.headers, back.iso) == (s.table, s.headers, s.iso)
            assert back.rows.tolist() == s.rows.tolist()
            assert [c.tolist() for c in back.cells] == [c.tolist() for c in s.cells]
            assert back.digest() == s.digest()
    assert snapshot(RawTable.from_records("Receipts", HEAD, odd)).rows.tolist() == [2, 4, 5]  # runs broken


def test_a_table_unchanged_since_the_last_write_is_not_even_snapshotted():
    st = C.record_write(C.BookState(), book(ROWS), NOW, "ana", "Reconcile").state
    st = C.BookState.from_text(st.to_text())
    assert set(st.quick) == {"Receipts"}
    cur = snapshots(book(ROWS))
    assert C.record_write(st, book(ROWS), NOW, "ana", "Reconcile", current=cur).entries == []
    assert "Receipts" not in cur._rows
    new = [list(r) for r in ROWS]
    new[2][2] = "R-33"
    got = C.record_write(st, book(new), NOW, "ana", "Reconcile").entries
    assert [(e.change, e.row, e.old, e.new) for e in got] == [("changed", 4, "R-3", "R-33")]


def test_keys_that_differ_for_the_same_content_only_cost_a_comparison():
    """Typed otherwise (another pandas, a re-save): a new key, the same snapshot, no change."""
    st = C.record_write(C.BookState(), book(ROWS), NOW, "ana", "Reconcile").state
    other = RawBook({"Receipts": typed("Receipts", HEAD, ROWS, {"Item": "string", "Lot": "string", "Unit": "string",
                                                                   "Quantity": "Int64"})})
    # whether another typing gives another key depends on the pandas (2.2 hashes these alike):
    # a key that does not match, whatever the reason, only costs the full comparison
    stale = C.BookState.from_text(st.to_text().replace(st.quick["Receipts"], "0" * 32))
    assert stale.quick["Receipts"] != quick_key(other.tables["Receipts"])
    rec = C.record_write(stale, other, NOW, "ana", "Reconcile")
    assert rec.entries == []
    assert rec.state.quick["Receipts"] == quick_key(other.tables["Receipts"])
    # a number typed as text reads the same: not a change either; a different text is
    mixed = [list(r) for r in ROWS]
    mixed[0][3] = "1000"

    def as_typed(rows):   # a number column with a text in it stays a column of objects
        return RawBook({"Receipts": typed("Receipts", HEAD, rows, {"Quantity": "text"})})
    assert C.record_write(st, as_typed(mixed), NOW, "ana", "Reconcile").entries == []
    mixed[0][3] = "1,000"
    assert [e.new for e in C.record_write(st, as_typed(mixed), NOW, "ana", "Reconcile").entries] == ["1,000"]
    # a state from before quick keys: everything compared, then the keys kept
    old = C.BookState.from_text(st.to_text().replace('"quick":', '"unknown":'))
    assert old.quick == {}
    rec = C.record_write(old, book(ROWS), NOW, "ana", "Reconcile")
    assert rec.entries == [] and rec.state.quick == st.quick


def _close(bk):
    st = C.record_write(C.BookState(), bk, NOW, "ana", "Reconcile").state
    return C.close_period(st, bk, pd.DataFrame(columns=["end"]), date(2025, 6, 30), NOW, "ana").state


def _review(st, bk):
    """One Reconcile: the closed period's findings, then the state this write stores."""
    cur = snapshots(bk)
    f = C.closed_findings(st, bk, cur)
    return f, C.BookState.from_text(C.record_write(st, bk, NOW, "ana", "Reconcile", current=cur).state.to_text())


def test_a_closed_period_found_as_closed_is_not_looked_at_again_until_it_changes():
    st = _close(book(ROWS))
    assert set(st.closed.clean) == {"Receipts"}
    f, st = _review(st, book(ROWS))
    assert f.empty
    cur = snapshots(book(ROWS))
    assert C.closed_findings(st, book(ROWS), cur).empty and "Receipts" not in cur._rows
    new = [list(r) for r in ROWS]
    new[1][3] = 5.0
    for _ in range(2):            # said at every Reconcile, not only at the first
        f, st = _review(st, book(new))
        assert list(f["row"].astype(object)) == [3]
    f, st = _review(st, book(ROWS))  # put back as closed
    assert f.empty
    st2 = C.reopen_period(st, book(ROWS), date(2025, 6, 30), "audit", NOW, "ana").state
    assert st2.closed is None


def test_inputs_dated_by_their_batch_are_looked_at_again_when_the_batch_moves():
    batches = [["B-1", datetime(2025, 3, 10), "Mix", "M-1", 90.0, "lb"],
               ["B-2", datetime(2025, 8, 10), "Mix", "M-2", 90.0, "lb"]]
    inputs = [["B-1", "Oats", "R-1", 100.0, "lb"], ["B-2", "Oats", "R-4", 100.0, "lb"]]

    def bk(b):
        return RawBook({"Batches": typed("Batches", BATCHES, b), "BatchInputs": typed("BatchInputs", INPUTS, inputs)})
    st = _close(bk(batches))
    f, st = _review(st, bk(batches))
    assert f.empty and set(st.closed.clean) == {"Batches", "BatchInputs"}
    moved = [list(r) for r in batches]
    moved[1][1] = datetime(2025, 5, 10)   # B-2 now in the closed period; its inputs did not change
    f, _ = _review(st, bk(moved))
    assert sorted(zip(f["sheet"], f["row"].astype(object), strict=True)) == [("BatchInputs", 3), ("Batches", 3)]


def test_balances_as_closed_compared_a_column_at_a_time_say_what_one_by_one_says():
    """The Balance's As closed: rows at a glance as closed get the short line; any figure
    that moved (a number, an empty one, the status), or a period not kept, is spelled out."""
    n = 40
    bal = pd.DataFrame({"item": [f"I{i % 7}" for i in range(n)], "owner": [None if i % 3 else "Co-op" for i in range(n)],
                        "start": pd.to_datetime(["2025-01-01"] * n) + pd.to_timedelta(np.arange(n) // 7 * 31, unit="D"),
                        "end": pd.to_datetime(["2025-01-31"] * n) + pd.to_timedelta(np.arange(n) // 7 * 31, unit="D")})
    for f in C.CLOSED_FIGURES:
        bal[f] = np.arange(n, dtype=float) * 10 + 0.5 if f != "status" else ["PASS"] * n
    bal.loc[5, "counted_ending"] = np.nan
    recs = C.closed_balance_records(bal, date(2025, 12, 31))
    st = C.BookState(closed=C.Closed(date(2025, 12, 31), "ana", "2026-01-02T10:00:00Z", 2, {}, recs))
    now = bal.copy()
    now.loc[3, "received"] += 0.004         # within a cent: as closed
    now.loc[7, "received"] += 2.0
    now.loc[9, "status"] = "FAIL"
    now.loc[5, "counted_ending"] = 12.0     # was empty
    now.loc[11, "variance"] = np.nan        # now empty
    now.loc[13, "item"] = "New item"        # no balance kept for it
    got = C.annotate_balances(now, st)["as_closed"]
    plain = "As closed on 2026-01-02 by ana."
    assert got[3] == plain and got[0] == plain
    assert got[7] == "DIFFERS from the close on 2026-01-02: received 70.50 (now 72.50)."
    assert got[9] == "DIFFERS from the close on 2026-01-02: status PASS (now FAIL)."
    assert got[5] == "DIFFERS from the close on 2026-01-02: counted ending (none) (now 12.00)."
    assert got[11] == "DIFFERS from the close on 2026-01-02: variance 110.50 (now (none))."
    assert got[13] == "No balance of this period was recorded at the close."
    assert sum(g == plain for g in got) == n - 5


def test_a_mixed_columns_text_made_for_the_snapshot_is_not_made_again_for_its_keys(monkeypatch):
    """A first write snapshots every row, then cuts the table into keyed blocks: a column
    of numbers and texts (keyed by its canonical text) takes the snapshot's text, and the
    keys are those of a cut made on its own; a table with an empty row makes its own."""
    from massbal.engine.record import blocks as B
    from massbal.engine.record import changelog as L
    from massbal.engine.record.current import Current

    mixed = [[datetime(2025, 3, i % 27 + 1), "Oats", f"R-{i}", 5.0 if i % 3 else "5 lb", "lb"] for i in range(40)]
    for rows in (mixed, mixed[:7] + [[None] * 5] + mixed[7:]):
        t = typed("Receipts", HEAD, rows, types={"Quantity": "text"})
        assert pd.api.types.infer_dtype(t.data[3], skipna=True) == "mixed"
        plain = B.cut(t)
        cur = Current(RawBook({"Receipts": t}))
        cur.rows("Receipts")
        calls = []
        real = B.canon_column
        monkeypatch.setattr(B, "canon_column", lambda s, calls=calls, real=real: calls.append(1) or real(s))
        got = cur.cut("Receipts")
        assert (got.keys, got.quick, got.ends.tolist()) == (plain.keys, plain.quick, plain.ends.tolist())
        assert len(calls) == (0 if rows is mixed else 1)
        monkeypatch.setattr(B, "canon_column", real)
        assert L.canon_column is real


def test_filled_rows_are_the_rows_with_any_value():
    """filled_rows reads a column only for the rows empty in those before it: the same rows
    as a whole comparison of every column (empty first columns, empty last ones, none)."""
    from massbal.engine.record.changelog import filled_rows

    rng = np.random.default_rng(5)
    for n, k in ((0, 3), (1, 1), (200, 4), (200, 1), (5000, 6)):
        for p in (0.0, 0.5, 0.9, 1.0):
            cells = tuple(np.where(rng.random(n) < p, "", "x").astype(object) for _ in range(k))
            plain = np.zeros(n, dtype=bool)
            for c in cells:
                plain |= c != ""
            assert filled_rows(cells, n).tolist() == plain.tolist()
    assert filled_rows((), 3).tolist() == [True] * 3
