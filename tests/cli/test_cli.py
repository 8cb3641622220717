"""The command line as a user runs it: a real process, a real .xlsx file (CONTRACT section 4)."""
import hashlib
import json
import os
import subprocess
import sys

import pytest
from bookkit import certified, count, loss, receipt, ship
from cli_books import write_book


def massbal(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "massbal.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **env} if env else None)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def almonds(tmp_path):
    path = tmp_path / "almonds.xlsx"
    write_book(path, Items=[{"Item": "Almonds", "Kind": "Ingredient"}], Certificates=[certified("Nutco", "C1")],
               Receipts=[receipt("2025-11-04", "Almonds", "A-2", 16500, supplier="Nutco", cert="C1")],
               Shipments=[ship("2025-11-10", "Almonds", "A-1", 10000), ship("2025-11-20", "Almonds", "A-2", 7500)],
               Losses=[loss("2025-11-21", "Almonds", 500, Lot="A-2", Reason="spoilage")],
               Counts=[count("2025-10-31", "Almonds", 12500, Lot="A-1"),
                       count("2025-11-30", "Almonds", 10850, Lot="A-2")])
    return path


def test_reconcile_json_is_the_contracts_shape(almonds):
    before = digest(almonds)
    p = massbal("reconcile", almonds, "--from", "2025-11-01", "--to", "2025-11-30", "--json", "--dry-run")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc) == {"unit", "balances", "supply", "yields", "exceptions", "investigations"}
    assert doc["unit"] == "lb"
    b = doc["balances"][0]
    # a farm's flows (CONTRACT section 6) sit in the formula's order, zero for a handler
    assert list(b)[:19] == ["item", "owner", "start", "end", "beginning", "received", "harvested", "produced", "used",
                            "farm_use", "applied", "shipped", "losses", "expected_ending", "counted_ending", "variance",
                            "variance_pct", "tolerance_pct", "status"]
    assert b == {**b, "item": "Almonds", "owner": None, "start": "2025-11-01", "end": "2025-11-30",
                 "beginning": 12500.0, "received": 16500.0, "shipped": 17500.0, "losses": 500.0,
                 "harvested": 0.0, "farm_use": 0.0, "applied": 0.0,
                 "expected_ending": 11000.0, "counted_ending": 10850.0, "variance": -150.0,
                 "variance_pct": -1.36, "tolerance_pct": 5.0, "status": "PASS"}
    s = doc["supply"][0]
    assert {"ingredient", "start", "end", "available", "shipped_equivalent", "losses_equivalent",
            "on_hand_equivalent", "unaccounted", "status"} <= set(s)
    assert digest(almonds) == before  # --dry-run writes nothing


def test_exit_1_on_an_error_finding_and_located_exception(tmp_path):
    path = tmp_path / "bad.xlsx"
    write_book(path, Items=[{"Item": "Oats"}], Certificates=[certified()],
               Receipts=[receipt("2025-01-02", "Oats", "O1", 100)],
               Shipments=[ship("2025-01-05", "Oats", "NEVER", 10), ship("2025-01-06", "Oats", "O1", "ten")])
    p = massbal("reconcile", path, "--json", "--dry-run")
    assert p.returncode == 1
    ex = json.loads(p.stdout)["exceptions"]
    assert {"severity": "error", "code": "UNKNOWN_LOT", "sheet": "Shipments", "row": 2, "column": "Lot"}.items() \
        <= next(e for e in ex if e["code"] == "UNKNOWN_LOT").items()
    assert any(e["code"] == "BAD_QUANTITY" and e["row"] == 3 and e["column"] == "Quantity" for e in ex)
    assert all(e["message"] and "Traceback" not in e["message"] for e in ex)


def test_period_month_splits_and_item_filter(almonds):
    p = massbal("reconcile", almonds, "--json", "--dry-run", "--period", "month", "--item", "almonds")
    doc = json.loads(p.stdout)
    # nothing moved before the count of 31 October: it opens the books, and the months start
    # at the first movement, November, beginning from that count
    assert [(b["start"], b["end"], b["beginning"]) for b in doc["balances"]] == [("2025-11-01", "2025-11-30", 12500)]
    p = massbal("reconcile", almonds, "--json", "--dry-run", "--period", "month", "--item", "almonds",
                "--from", "2025-10-01")
    doc = json.loads(p.stdout)
    assert [(b["start"], b["end"], b["status"]) for b in doc["balances"]] == [("2025-10-01", "2025-10-31", "PASS"),
                                                                              ("2025-11-01", "2025-11-30", "PASS")]
    q = massbal("reconcile", almonds, "--json", "--dry-run", "--item", "Almond")
    assert q.returncode == 2 and "Almonds" in q.stderr and q.stdout == ""


@pytest.mark.parametrize("content,why", [(b"Date,Item\n2025-01-01,Oats\n", "CSV"), (b"\x00" * 100, "")])
def test_unreadable_workbook_exits_2_with_one_line_and_untouched(tmp_path, content, why):
    path = tmp_path / "book.xlsx"
    path.write_bytes(content)
    p = massbal("reconcile", path)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert path.read_bytes() == content


def test_human_output_names_status_and_findings(almonds):
    p = massbal("reconcile", almonds, "--from", "2025-11-01", "--to", "2025-11-30", "--dry-run")
    assert p.returncode == 0
    assert p.stdout.startswith("Nothing needs investigating")  # every row passes: none listed without --all
    p = massbal("reconcile", almonds, "--from", "2025-11-01", "--to", "2025-11-30", "--dry-run", "--all")
    assert "Almonds" in p.stdout and "PASS" in p.stdout and "10,850.00" in p.stdout


def test_written_sheets_carry_every_figure(almonds):
    """Reconcile in place, read the sheets back: no column of a result sheet is blank
    where the engine has figures (a Ledger without quantities once slipped through)."""
    import openpyxl
    p = massbal("reconcile", almonds, "--from", "2025-11-01", "--to", "2025-11-30")
    assert p.returncode == 0, p.stderr
    wb = openpyxl.load_workbook(almonds)
    for name in ("Balance", "Supply", "Ledger"):
        ws = wb[name]
        head = [c.value for c in ws[1]]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        assert rows, name
        for i, h in enumerate(head):
            if h in ("Owner", "Counted ending", "Variance", "Variance %", "Notes", "Root cause",
                     "Corrective action", "Investigated by", "Batch", "Certificate", "Organic",
                     "Reference", "Location", "Lot", "Partner", "Investigation", "Harvested", "Farm use",
                     "Applied"):
                continue  # legitimately empty in this small book
            assert any(r[i] is not None for r in rows), f"{name}!{h} is blank"
    ledger = wb["Ledger"]
    head = [c.value for c in ledger[1]]
    qty = [r[head.index("Quantity")] for r in ledger.iter_rows(min_row=2, values_only=True)]
    assert sorted(q for q in qty if q) == pytest.approx(sorted([16500, 10000, 7500, 500, 12500, 10850]))


def test_reconcile_says_where_each_sheet_went_beside_the_users_own(almonds):
    """The user's own Balance sheet is left alone; massbal's goes to 'Balance (massbal)',
    and reconcile says so (issue 8)."""
    import openpyxl
    wb = openpyxl.load_workbook(almonds)
    mine = wb.create_sheet("Balance")
    mine["A1"], mine["B1"] = "My own balance", 42
    wb.save(almonds)
    p = massbal("reconcile", almonds, "--from", "2025-11-01", "--to", "2025-11-30", env={"COLUMNS": "80"})
    assert p.returncode == 0, p.stderr
    said = " ".join((p.stdout + p.stderr).split())
    assert "Wrote Balance (massbal), Supply, Yield, Exceptions, Ledger, Investigations, Dashboard" in said
    assert almonds.name in said
    assert "massbal state" not in said  # hidden: not a sheet the user can find
    lines = p.stdout.splitlines()
    # an 80-column terminal; a path longer than that stands whole on its own line (the
    # temporary folder's path is longer under pytest-xdist)
    assert all(len(line.rstrip()) <= 80 or line.strip().rstrip(".") == str(almonds) for line in lines), lines
    assert any(str(almonds) in line for line in lines)  # the path whole, to copy
    assert "The sheet 'Balance' is not one massbal wrote, so it was left as it is; " \
           "massbal's Balance is on the sheet 'Balance (massbal)'." in said
    wb = openpyxl.load_workbook(almonds)
    assert (wb["Balance"]["A1"].value, wb["Balance"]["B1"].value) == ("My own balance", 42)
    assert wb["Balance (massbal)"]["A1"].value == "Item"


def test_output_to_a_file_is_whole_when_the_process_ends_without_teardown(almonds, tmp_path):
    # the entry point ends with os._exit (cli.leave): the JSON, block-buffered into a file,
    # must still be complete, and the exit status the command's own
    out = tmp_path / "out.json"
    with out.open("w") as fh:
        p = subprocess.run([sys.executable, "-m", "massbal.cli", "reconcile", str(almonds), "--json", "--dry-run",
                            "--period", "month"], stdout=fh, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert [(b["item"], b["expected_ending"], b["variance"]) for b in doc["balances"]] == [("Almonds", 11000.0, -150.0)]


@pytest.mark.parametrize("code, status, said", [(None, 0, ""), (3, 3, ""), ("A sentence.", 1, "A sentence.\n")])
def test_leave_ends_as_system_exit_would(code, status, said):
    p = subprocess.run([sys.executable, "-c", f"import sys; from massbal.cli import leave; "
                        f"sys.stdout.write('kept'); leave({code!r})"], capture_output=True, text=True)
    assert (p.returncode, p.stdout, p.stderr) == (status, "kept", said)


def test_a_profiler_still_gets_its_report(tmp_path):
    # under cProfile (as under pyinstrument or coverage) the usual exit: the report is written
    stats = tmp_path / "run.prof"
    p = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "massbal.cli", "--help"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert stats.stat().st_size > 0
