"""Row snapshots, their diff, the hash chain and closed periods, on RawBooks typed as rows."""
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.record import closing as C
from massbal.engine.record.changelog import canon_column, canon_value, diff, snapshot
from massbal.engine.record.logchain import LogEntry, check_chain, seal

HEAD = ["Date", "Item", "Lot", "Quantity", "Unit"]
ROWS = [
    [datetime(2025, 3, 4), "Oats", "R-1", 1000.0, "lb"],
    [datetime(2025, 3, 9), "Oats", "R-2", 500.0, "lb"],
    [datetime(2025, 4, 2), "Honey", "R-3", 200.0, "kg"],
    [datetime(2025, 8, 1), "Oats", "R-4", 750.0, "lb"],
]
NOW = datetime(2025, 9, 1, 12, 0)


def table(rows, name="Receipts", head=HEAD):
    return RawTable.from_records(name, head, rows)


def book(rows):
    return RawBook({"Receipts": table(rows)})


def changes(old_rows, new_rows):
    return diff(snapshot(table(old_rows)), snapshot(table(new_rows)))


def test_canonical_text_is_what_a_user_sees():
    s = pd.Series([1000.0, 2.5, np.nan, 1e-7], dtype="float64")
    assert list(canon_column(s)) == ["1000", "2.5", "", "1e-07"]
    d = pd.Series(pd.to_datetime(["2025-03-04", None, "2025-03-04 10:30"], format="ISO8601"))
    assert list(canon_column(d)) == ["2025-03-04", "", "2025-03-04 10:30:00"]
    mixed = pd.Series([1000, "1,000", True, None, "  "], dtype=object)
    assert list(canon_column(mixed)) == ["1000", "1,000", "TRUE", "", "  "]


def test_unchanged_sorted_inserted_and_moved_rows_are_not_changes():
    assert changes(ROWS, ROWS) == []
    assert changes(ROWS, list(reversed(ROWS))) == []                    # sorted
    assert changes(ROWS, [ROWS[2], ROWS[0], ROWS[3], ROWS[1]]) == []    # moved
    # an empty row inserted above shifts every row down: still nothing changed
    assert changes(ROWS, [[None] * 5] + ROWS) == []


def test_an_edit_reports_old_and_new_value_at_the_row_it_is_now():
    new = [list(r) for r in ROWS]
    new[1][3] = 50.0
    new.insert(0, [datetime(2025, 8, 5), "Oats", "R-9", 10.0, "lb"])   # and a row above it
    got = changes(ROWS, new)
    kinds = sorted((c.kind, c.row) for c in got)
    assert kinds == [("added", 2), ("changed", 4)]    # header on row 1: R-2 is now on row 4
    ch = next(c for c in got if c.kind == "changed")
    assert ch.old_row == 3
    assert [(x.column, x.old, x.new) for x in ch.cells] == [("Quantity", "500", "50")]


def test_an_edited_row_that_was_also_sorted_away_is_still_one_change():
    new = [list(r) for r in reversed(ROWS)]
    new[0][2] = "R-44"   # R-4 renamed, and now first
    got = changes(ROWS, new)
    assert [(c.kind, c.row, c.old_row) for c in got] == [("changed", 2, 5)]
    assert [(x.old, x.new) for x in got[0].cells] == [("R-4", "R-44")]


def test_deleted_and_duplicate_rows():
    got = changes(ROWS + [ROWS[0]], ROWS)   # one of two identical rows deleted
    assert [(c.kind, c.row) for c in got] == [("deleted", 6)]
    got = changes(ROWS, [ROWS[0], ROWS[1], ROWS[3]])
    assert [(c.kind, c.old_row) for c in got] == [("deleted", 4)]
    assert "Honey" in [x.old for x in got[0].cells]


def test_a_row_replaced_by_an_unlike_one_is_a_deletion_and_an_addition():
    new = [list(r) for r in ROWS]
    new[2] = [datetime(2025, 8, 9), "Salt", "Z-1", 3.0, "kg"]   # 4 of 5 cells differ
    got = changes(ROWS, new)
    assert sorted(c.kind for c in got) == ["added", "deleted"]


def test_hash_chain_names_the_first_entry_edited_removed_or_moved():
    raw = [LogEntry(0, "2025-09-01T12:00:00Z", "ana", "Reconcile", "added", "Receipts", i, "", "", f"row {i}")
           for i in range(2, 7)]
    log = seal(C.GENESIS, 1, raw)
    assert [e.number for e in log] == [1, 2, 3, 4, 5]
    assert check_chain(log, 5, log[-1].hash).ok
    edited = list(log)
    edited[2] = LogEntry(**{**edited[2].__dict__, "new": "row 99"})
    r = check_chain(edited, 5, log[-1].hash)
    assert not r.ok and "Entry 3" in r.problems[0] and "edited" in r.problems[0]
    r = check_chain(log[:1] + log[2:], 5, log[-1].hash)
    assert "entry 2 removed" in r.problems[0]
    r = check_chain([log[0], log[2], log[1]] + log[3:], 5, log[-1].hash)
    assert "entry 2 removed" in r.problems[0]   # 3 where 2 belongs
    r = check_chain(log[:3], 5, log[-1].hash)
    assert not r.ok and "entries 4 to 5 removed" in r.problems[0]
    # a chain continued from a stored hash stays whole
    more = seal(log[-1].hash, 6, raw[:2])
    assert check_chain(log + more, 7, more[-1].hash).ok


def test_first_write_records_without_a_diff_then_logs_changes():
    st = C.BookState()
    rec = C.record_write(st, book(ROWS), NOW, "ana", "Reconcile")
    assert [e.change for e in rec.entries] == ["recorded"]
    assert "4 rows" in rec.entries[0].new
    new = [list(r) for r in ROWS]
    new[0][3] = 100.0
    rec2 = C.record_write(rec.state, book(new), NOW, "ana", "Reconcile")
    assert [(e.number, e.change, e.row, e.column, e.old, e.new) for e in rec2.entries] == [
        (2, "changed", 2, "Quantity", "1000", "100")]
    assert check_chain(rec.entries + rec2.entries, rec2.state.written, rec2.state.last_hash).ok
    # the state survives its stored form
    back = C.BookState.from_text(rec2.state.to_text())
    assert back.written == 2 and back.last_hash == rec2.state.last_hash
    assert C.record_write(back, book(new), NOW, "ana", "Reconcile").entries == []


def _closed():
    st = C.record_write(C.BookState(), book(ROWS), NOW, "ana", "Reconcile").state
    bal = pd.DataFrame([{"item": "Oats", "owner": None, "start": pd.Timestamp("2025-03-01"),
                         "end": pd.Timestamp("2025-03-31"), "beginning": 0.0, "received": 1500.0,
                         "produced": 0.0, "used": 0.0, "shipped": 0.0, "losses": 0.0,
                         "expected_ending": 1500.0, "counted_ending": np.nan, "variance": np.nan,
                         "status": "NO COUNT"}])
    rec = C.close_period(st, book(ROWS), bal, date(2025, 6, 30), NOW, "ana")
    return rec, bal


def test_close_then_changes_in_closed_and_open_periods():
    rec, _ = _closed()
    st = C.BookState.from_text(rec.state.to_text())
    assert st.closed.through == date(2025, 6, 30)
    assert sum(len(s.load()) for s in st.closed.tables.values()) == 3
    assert [e.change for e in rec.entries] == ["closed"]
    new = [list(r) for r in ROWS]
    new[0][3] = 900.0                                                # closed row edited
    new[3][3] = 1.0                                                  # open row edited: no finding
    del new[2]                                                       # closed row deleted
    new.append([datetime(2025, 5, 5), "Oats", "R-5", 5.0, "lb"])     # added into the closed period
    new = [new[3], new[1], new[0], new[2]]                           # and sorted
    f = C.closed_findings(st, book(new))
    got = sorted(zip(f["sheet"], f["row"].astype(object), f["column"], strict=True), key=str)
    assert got == sorted([("Receipts", 2, "Date"), ("Receipts", 4, "Quantity"),
                          ("Closed periods", 2, "Through")], key=str)
    msg = dict(zip(zip(f["sheet"], f["row"].astype(object), strict=True), f["message"], strict=True))
    assert "Quantity was 1000, now 900" in msg[("Receipts", 4)]
    assert "Honey" in msg[("Closed periods", 2)] and "row 4" in msg[("Closed periods", 2)]
    assert "Lot R-5" in msg[("Receipts", 2)]
    assert set(f["code"]) == {"CLOSED_PERIOD_CHANGED"} and set(f["severity"]) == {"error"}
    assert C.closed_findings(st, book(list(reversed(ROWS)))).empty   # moved only


def test_closing_again_refuses_while_closed_rows_differ_and_reopen_needs_a_reason():
    rec, bal = _closed()
    st = rec.state
    new = [list(r) for r in ROWS]
    new[0][3] = 900.0
    with pytest.raises(C.ClosingError, match="changed"):
        C.close_period(st, book(new), bal, date(2025, 7, 31), NOW, "ana")
    with pytest.raises(C.ClosingError, match="reason"):
        C.reopen_period(st, book(new), date(2025, 6, 30), " ", NOW, "ana")
    r = C.reopen_period(st, book(new), date(2025, 6, 30), "late invoice from supplier", NOW, "ana")
    assert r.state.closed is None
    assert [e.change for e in r.entries] == ["changed", "reopened"]
    assert "late invoice" in r.entries[-1].new
    assert r.closed_rows[0]["Action"] == "Reopened"


def test_balance_rows_say_when_todays_figures_differ_from_the_close():
    rec, bal = _closed()
    same = C.annotate_balances(bal, rec.state)
    assert same["as_closed"].iloc[0] == "As closed on 2025-09-01 by ana."
    assert same["closed"].iloc[0] == "through 2025-06-30"
    now = bal.assign(received=1400.0, expected_ending=1400.0)
    d = C.annotate_balances(now, rec.state)["as_closed"].iloc[0]
    assert "expected ending 1,500.00 (now 1,400.00)" in d and "received" in d


def test_batch_inputs_belong_to_their_batchs_date():
    batches = RawTable.from_records("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"],
                                    [["B-1", datetime(2025, 3, 10), "Mix", "M-1", 90.0, "lb"],
                                     ["B-2", datetime(2025, 8, 10), "Mix", "M-2", 90.0, "lb"]])
    head = ["Batch", "Item", "Lot", "Quantity", "Unit"]
    inputs = [["B-1", "Oats", "R-1", 100.0, "lb"], ["b-2 ", "Oats", "R-4", 100.0, "lb"]]

    def bk(rows):
        return RawBook({"Batches": batches, "BatchInputs": RawTable.from_records("BatchInputs", head, rows)})
    st = C.record_write(C.BookState(), bk(inputs), NOW, "ana", "Reconcile").state
    st = C.close_period(st, bk(inputs), pd.DataFrame(columns=["end"]), date(2025, 6, 30), NOW, "ana").state
    edited = [["B-1", "Oats", "R-1", 90.0, "lb"], ["b-2 ", "Oats", "R-4", 90.0, "lb"]]
    f = C.closed_findings(st, bk(edited))
    assert list(zip(f["sheet"], f["row"].astype(object), f["column"], strict=True)) == [("BatchInputs", 2, "Quantity")]
    rec = C.record_write(st, bk(edited), NOW, "ana", "Reconcile")
    assert [(e.row, e.dated) for e in rec.entries] == [(2, "2025-03-10"), (3, "2025-08-10")]


def test_stored_text_reads_back_at_any_deflate_level(monkeypatch):
    """The stored snapshot's deflate level (changelog.TEXT_LEVEL) only trades time for
    length: a text deflated at another level (an older massbal's 6) reads back to the same
    rows, and the reader only inflates, so older massbal reads the new text too."""
    from massbal.engine.record import changelog as CL
    snap = snapshot(table(ROWS * 50))
    texts = []
    for level in (1, 6, 9):
        monkeypatch.setattr(CL, "TEXT_LEVEL", level)
        texts.append(CL.Snapshot(snap.table, snap.sheet, snap.headers, snap.rows, snap.cells, snap.iso).to_text())
    assert len(set(texts)) == 3
    for text in texts:
        back = CL.Snapshot.from_text(text)
        assert back.headers == snap.headers and back.iso == snap.iso
        assert np.array_equal(back.rows, snap.rows)
        assert all(np.array_equal(a, b) for a, b in zip(back.cells, snap.cells, strict=True))


@pytest.mark.parametrize("dtype", ["string", "object"])
def test_long_text_columns_of_few_and_many_distinct_values(dtype):
    """A long text column of few distinct texts is made by code (changelog._each_text):
    the same texts as one by one, missing values empty."""
    rng = np.random.default_rng(5)
    n = 70000
    few = np.array(["Oats", "lb", " Honey ", "Müsli", ""], dtype=object)[rng.integers(0, 5, n)]
    many = np.array([f"L-{i}" for i in range(n)], dtype=object)
    for values in (few, many, np.concatenate([few[:5000], many[5000:]]), np.concatenate([many[:5000], few[5000:]])):
        values = values.copy()
        values[rng.integers(0, n, 500)] = None
        s = pd.Series(values, dtype=dtype)
        got = canon_column(s)
        want = np.array(["" if v is None else v for v in values], dtype=object)
        assert got.dtype == object and (got == want).all() and all(type(v) is str for v in got)


def test_long_number_and_date_columns_as_one_by_one():
    """Long columns of repeating days and numbers are formatted once per distinct value
    (changelog._each_distinct, by their bits): the same texts as canon_value cell by cell,
    -0.0 and 0.0 alike, missing values, infinities and NaT empty, times kept."""
    rng = np.random.default_rng(7)
    n = 5000
    nums = np.round(rng.choice([0.0, -0.0, 1.5, 2.25, 1e15, 1e16, -3.0, 1e-7, np.nan, 12345.678], n), 9)
    nums[:50] = rng.random(50)   # some values seen once
    nums[50:52] = np.inf, -np.inf
    days = pd.Series(pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D"))
    days[rng.integers(0, n, 100)] = pd.NaT
    days[3] = pd.Timestamp("2025-02-03 10:30:00")
    for s in (pd.Series(nums), days, pd.Series(nums[:600])):   # under and over the 1024-row switch
        got = canon_column(s)
        want = np.array([canon_value(v) for v in s], dtype=object)
        assert got.dtype == object and (got == want).all()   # not a list ==: pytest's diff of 5000 texts
    unique = pd.Series(rng.random(3000))   # mostly distinct: formatted row by row, same texts
    assert (canon_column(unique) == np.array([canon_value(v) for v in unique], dtype=object)).all()
    # a mixed column's numbers that are not Python floats go cell by cell: the same texts
    mixed = pd.Series(["a", np.float64(np.inf), np.float32(-np.inf), 2.5, None], dtype=object)
    assert list(canon_column(mixed)) == ["a", "", "", "2.5", ""]
