"""Closed periods and the Change log, as a user meets them: real .xlsx files edited between
runs, `massbal close / reopen / reconcile / verify` as real processes (CONTRACT section 8)."""
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass

import openpyxl
import pytest
from bookkit import certified, count, receipt, ship
from cli_books import write_book
from typer.testing import CliRunner

from massbal.cli.main import app
from massbal.layout.closing import LOG_SHEET, STATE_SHEET


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def massbal(*args):
    """The CLI in this process (its start-up is most of a small run's time); the last test
    runs `verify` as a real process too."""
    r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Ran(r.exit_code, r.stdout, r.stderr)


def real_process(*args):
    return subprocess.run([sys.executable, "-m", "massbal.cli", *map(str, args)], capture_output=True, text=True)


def ok(*args):
    p = massbal(*args)
    assert p.returncode in (0, 1), p.stderr
    return p


def findings(path, code="CLOSED_PERIOD_CHANGED"):
    p = ok("reconcile", path, "--json")
    return sorted((e["sheet"], e["row"], e["column"], e["message"]) for e in json.loads(p.stdout)["exceptions"]
                  if e["code"] == code)


def log(path):
    ws = openpyxl.load_workbook(path)[LOG_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


@pytest.fixture
def oats(tmp_path):
    """Oats: March and April rows (to be closed), August rows (open)."""
    path = tmp_path / "oats.xlsx"
    write_book(path, Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-03-04", "Oats", "R-1", 1000),      # row 2
                         receipt("2025-03-20", "Oats", "R-2", 500),       # row 3
                         receipt("2025-04-02", "Oats", "R-3", 200),       # row 4
                         receipt("2025-08-01", "Oats", "R-4", 750)],      # row 5
               Shipments=[ship("2025-03-25", "Oats", "R-1", 800),         # row 2
                          ship("2025-08-10", "Oats", "R-4", 700)],        # row 3
               Counts=[count("2025-03-31", "Oats", 700), count("2025-08-31", "Oats", 950)])
    return path


def edit(path, fn):
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)


def test_close_edit_insert_delete_sort_and_reopen(oats):
    p = ok("reconcile", oats)
    entries = log(oats)
    assert [e["Change"] for e in entries] == ["recorded"]          # a first write records, no diff
    assert openpyxl.load_workbook(oats)[STATE_SHEET].sheet_state == "veryHidden"
    p = massbal("close", oats, "--through", "2025-06-30")
    assert p.returncode == 0, p.stderr
    assert "through 2025-06-30" in p.stdout
    assert findings(oats) == []                                    # nothing changed yet

    def change(wb):
        r = wb["Receipts"]
        r["D3"] = 50                       # R-2 (closed) 500 -> 50
        r["D5"] = 700                      # R-4 (open) 750 -> 700: no finding
        r.insert_rows(2)                   # a row inserted above: rows move down by one
        for c, v in zip("ABCDEFGH", ["2025-08-20", "Oats", "R-5", 10, "lb", "Andes Organics", None, "CERT-1"], strict=True):
            r[f"{c}2"] = v                 # ... and it is an open-period row: no finding
        s = wb["Shipments"]
        s.delete_rows(2)                   # the closed shipment of R-1 deleted
    edit(oats, change)
    got = findings(oats)
    assert [(s, r, c) for s, r, c, _ in got] == [("Closed periods", 2, "Through"), ("Receipts", 4, "Quantity")]
    assert "Quantity was 500, now 50" in got[1][3] and "row 3 at the close" in got[1][3]
    assert "R-1" in got[0][3] and "800" in got[0][3] and "Shipments" in got[0][3]
    # the Change log has each change once, at the row it is on now
    changes = [(e["Change"], e["Sheet"], e["Row"], e["Column"], e["Old value"], e["New value"])
               for e in log(oats) if e["Action"] == "Reconcile" and e["Change"] != "recorded"]
    assert sorted(changes, key=str) == sorted([
        ("changed", "Receipts", 4, "Quantity", "500", "50"),
        ("changed", "Receipts", 6, "Quantity", "750", "700"),
        ("added", "Receipts", 2, None, None, "Date 2025-08-20, Item Oats, Lot R-5, Quantity 10, Unit lb, "
                                            "Supplier Andes Organics, Certificate CERT-1"),
        ("deleted", "Shipments", 2, "was row 2", "Date 2025-03-25, Item Oats, Lot R-1, Quantity 800, Unit lb, "
                                                 "Customer Whole Foods", None)], key=str)
    n = len(log(oats))
    findings(oats)                                                 # again: nothing new in the log ...
    assert [e["Change"] for e in log(oats)[n:]] == []
    assert len(findings(oats)) == 2                                # ... but the errors stay
    # sorting the closed rows is no change
    def sort(wb):
        r = wb["Receipts"]
        rows = sorted(list(r.iter_rows(min_row=2, values_only=True)), key=lambda x: str(x[2]), reverse=True)
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row, start=1):
                r.cell(i, j, v)
    edit(oats, sort)
    got = findings(oats)
    assert [(s, c) for s, _, c, _ in got] == [("Closed periods", "Through"), ("Receipts", "Quantity")]
    assert got[1][1] == 5                                          # R-2 is now on row 5
    assert [e["Change"] for e in log(oats)[n:]] == []
    # closing again is refused while the closed rows differ; reopen says why
    p = massbal("close", oats, "--through", "2025-07-31")
    assert p.returncode == 1 and "reopen" in p.stderr
    p = massbal("reopen", oats, "--through", "2025-06-30", "--reason", "Supplier credit note CN-7 for R-2")
    assert p.returncode == 0, p.stderr
    last = log(oats)[-1]
    assert last["Change"] == "reopened" and "credit note CN-7" in last["New value"]
    assert findings(oats) == []
    assert massbal("verify", oats).returncode == 0


def test_balance_shows_closed_figures_where_they_differ(oats):
    ok("close", oats, "--through", "2025-06-30")
    edit(oats, lambda wb: wb["Receipts"].__setitem__("D3", 50))
    p = ok("reconcile", oats, "--from", "2025-03-01", "--to", "2025-03-31", "--json")
    b = json.loads(p.stdout)["balances"][0]
    assert b["closed"] == "through 2025-06-30"
    # March as closed: 1,000 + 500 received, 800 shipped: 700 expected; today 1,000 + 50 - 800 = 250
    assert "expected ending 700.00 (now 250.00)" in b["as_closed"]
    ws = openpyxl.load_workbook(oats)["Balance"]
    head = [c.value for c in ws[1]]
    assert "As closed" in head and "Closed" in head


def tamper(path, fn):
    wb = openpyxl.load_workbook(path)
    fn(wb[LOG_SHEET])
    wb.save(path)


@pytest.fixture
def logged(oats):
    ok("reconcile", oats)
    ok("close", oats, "--through", "2025-06-30")
    edit(oats, lambda wb: wb["Receipts"].__setitem__("D5", 700))
    edit(oats, lambda wb: wb["Receipts"].__setitem__("D5", 710))
    ok("reconcile", oats)
    edit(oats, lambda wb: wb["Receipts"].__setitem__("D5", 720))
    ok("reconcile", oats)
    assert [e["Entry"] for e in log(oats)] == [1, 2, 3, 4]
    assert massbal("verify", oats).returncode == 0
    return oats


def test_an_edited_entry_fails_verify_naming_it(logged):
    tamper(logged, lambda ws: ws.cell(4, 10, "500"))             # entry 3's New value
    p = massbal("verify", logged)
    assert p.returncode == 1 and "Entry 3" in p.stdout and "edited" in p.stdout


def test_a_removed_entry_fails_verify_naming_it(logged):
    tamper(logged, lambda ws: ws.delete_rows(3))                 # entry 2
    p = massbal("verify", logged)
    assert p.returncode == 1 and "entry 2 removed" in p.stdout


def test_reordered_entries_fail_verify(logged):
    def swap(ws):
        a = [c.value for c in ws[3]]
        b = [c.value for c in ws[4]]
        for j, (x, y) in enumerate(zip(a, b, strict=True), start=1):
            ws.cell(3, j, y)
            ws.cell(4, j, x)
    tamper(logged, swap)
    p = massbal("verify", logged)
    assert p.returncode == 1 and "entry 2" in p.stdout


def test_a_truncated_log_fails_verify(logged):
    tamper(logged, lambda ws: ws.delete_rows(5))                 # the last entry
    p = massbal("verify", logged)
    assert p.returncode == 1 and "entry 4 removed" in p.stdout


def test_a_resave_by_libreoffice_keeps_the_chain_and_changes_nothing(logged, tmp_path):
    from libreoffice import convert
    out = convert([logged], tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")[0]
    p = real_process("verify", out)
    assert p.returncode == 0, p.stdout + p.stderr
    n = len(log(out))
    assert findings(out) == []                       # the closed rows read the same after the re-save
    assert [e["Change"] for e in log(out)[n:]] == []  # and the log sees no change
    assert massbal("verify", out).returncode == 0
    shutil.copyfile(out, tmp_path / "keep.xlsx")


def test_the_inspectors_copy_carries_the_closes_and_the_periods_log(logged, tmp_path):
    copy = tmp_path / "copy.xlsx"
    p = massbal("export", logged, "--from", "2025-08-01", "--to", "2025-08-31", "-o", copy, "--no-pdf")
    assert p.returncode == 0, p.stderr
    wb = openpyxl.load_workbook(copy)
    assert {"Closed periods", "Change log"} <= set(wb.sheetnames)
    text = [[c for c in r if c is not None] for r in wb["Change log"].iter_rows(values_only=True)]
    changes = [r for r in text if "changed" in r]
    # the three edits of R-4 (dated 2025-08-01) are this period's; each keeps its hash
    assert len(changes) == 2 and all("2025-08-01" in r for r in changes)
    assert any("closed" in r for r in text)
    assert massbal("verify", copy).returncode == 0
    ws = wb["Change log"]
    for row in ws.iter_rows():
        for c in row:
            if c.value == "710":
                c.value = "711"
    wb.save(copy)
    p = massbal("verify", copy)
    assert p.returncode == 1 and "Change log" in p.stdout
