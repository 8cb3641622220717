"""The trace, recall, export and verify commands on a real .xlsx workbook."""
from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from massbal.cli.inspector import register

from .books import granola, to_xlsx
from .xlsxkit import set_number, sheet_rows

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    register(a)
    return a


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return to_xlsx(granola(), tmp_path_factory.mktemp("cli") / "granola.xlsx")


def run(app, *args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_trace_json_follows_the_contract(app, book):
    r = run(app, "trace", book, "G1", "--json")
    assert r.exit_code == 1  # an open question: honey received under an expired certificate
    d = json.loads(r.stdout)
    assert (d["lot"], d["item"]) == ("G1", "Granola")
    for e in d["back"] + d["forward"]:
        assert {"lot", "item", "quantity"} <= set(e)
    rec = {e["lot"]: e for e in d["back"] if e["kind"] == "receipt"}
    assert rec["O1"]["supplier"] == "Prairie Farms" and rec["O1"]["certificate"] == "CCOF-111"
    assert rec["O1"]["certificate_valid"] is True and rec["H1"]["certificate_valid"] is False
    assert all("batch" in e for e in d["back"] if e["kind"] == "input")
    ships = [e for e in d["forward"] if e["kind"] == "shipment"]
    assert {e["customer"] for e in ships} == {"Whole Foods", "Costco"}
    assert sum(e["quantity"] for e in ships) == pytest.approx(1000.0)


def test_trace_text_and_exit_0_when_nothing_is_open(app, book):
    r = run(app, "trace", book, "A1")
    assert r.exit_code == 0, r.output
    assert "Lot A1 (Almonds): received, 500.00 lb" in r.stdout
    assert "No open questions." in r.stdout


def test_trace_of_a_lot_number_two_items_share(app, tmp_path):
    raw = granola(extra_receipts=[["2025-03-02", "Almonds", "G1", 10, "lb", "Nutty Inc", "NI-6", "OTCO-333", "Plant",
                                   "PO-9"]])
    path = to_xlsx(raw, tmp_path / "two.xlsx")
    r = run(app, "trace", path, "G1", "--json")
    assert {t["item"] for t in json.loads(r.stdout)} == {"Granola", "Almonds"}
    r = run(app, "trace", path, "G1", "--item", "Almonds", "--json")
    assert json.loads(r.stdout)["item"] == "Almonds"
    r = run(app, "recall", path, "G1")
    assert r.exit_code == 2 and "--item" in r.stderr


def test_trace_unknown_lot_and_unreadable_book_fail_plainly(app, book, tmp_path):
    r = run(app, "trace", book, "G 1")
    assert r.exit_code == 2 and "Did you mean G1" in r.stderr and "Traceback" not in r.output
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    r = run(app, "trace", junk, "G1")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.output


def test_recall_lists_customers_stock_and_time(app, book):
    r = run(app, "recall", book, "GB1", "--json")
    assert r.exit_code == 1  # a shipment with no customer
    d = json.loads(r.stdout)
    assert {c["customer"] for c in d["customers"]} == {"Whole Foods", "Costco", "Sprouts", "(no customer recorded)"}
    assert {(s["lot"], s["location"]) for s in d["on_hand"]} == {("GB1", "Plant"), ("G3", "Plant"), ("G3", "Warehouse")}
    assert d["seconds"] > 0
    r = run(app, "recall", book, "GB1")
    assert "Stock to quarantine" in r.stdout and "names no customer" in r.stdout


def test_export_prints_its_path_and_verify_checks_it(app, book, tmp_path):
    out = tmp_path / "for inspector.xlsx"
    r = run(app, "export", book, "--from", "2025-03-01", "--to", "2025-03-31", "--lot", "O1", "-o", out, "--no-pdf")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(out)
    assert "Fingerprint (SHA-256):" in r.stderr
    r = run(app, "verify", out)
    assert r.exit_code == 0 and "as exported" in r.stdout
    rows = sheet_rows(out, "Ledger")
    top = next(i for i, x in enumerate(rows) if x and x[0] == "Date")
    qcol = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[list(rows[top]).index("Quantity")]
    set_number(out, tmp_path / "changed.xlsx", "Ledger", f"{qcol}{top + 3}", 123.0)
    r = run(app, "verify", tmp_path / "changed.xlsx")
    assert r.exit_code == 1
    assert f"Ledger row {top + 3} changed: {qcol}{top + 3} (Quantity)." in r.stdout


def test_export_without_libreoffice_still_writes_the_copy(app, book, tmp_path):
    out = tmp_path / "copy.xlsx"
    empty = tmp_path / "bin"
    empty.mkdir()
    r = run(app, "export", book, "-o", out, env={"PATH": str(empty)})
    assert r.exit_code == 0, r.output
    assert out.exists() and not out.with_suffix(".pdf").exists()
    assert "No PDF: LibreOffice (soffice) is not installed" in r.stderr


def test_export_refuses_to_overwrite_the_workbook(app, book):
    r = run(app, "export", book, "-o", book, "--no-pdf")
    assert r.exit_code == 2 and "cannot replace the workbook" in r.stderr


def test_the_lead_cli_has_the_commands():
    from massbal.cli.main import app as main_app
    names = {c.name or c.callback.__name__ for c in main_app.registered_commands}
    assert {"trace", "recall", "export", "verify"} <= names


def test_trace_and_recall_write_their_sheet_into_the_workbook(app, tmp_path):
    import hashlib

    import openpyxl
    path = to_xlsx(granola(), tmp_path / "book.xlsx")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run(app, "trace", path, "G1", "--dry-run")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # --dry-run: not a byte changed
    r = run(app, "trace", path, "G1")
    assert "Wrote the Trace sheet" in r.stderr
    ws = openpyxl.load_workbook(path)["Trace"]
    rows = [dict(zip([c.value for c in ws[1]], [c.value for c in row], strict=False)) for row in ws.iter_rows(min_row=2)]
    assert rows[0]["Direction"] == "Lot" and rows[0]["Lot"] == "G1" and rows[0]["Quantity"] == 1000
    h1 = next(r for r in rows if r["Direction"] == "Back" and r["Step"] == "Received" and r["Lot"] == "H1")
    assert h1["Certificate valid"] == "No" and h1["Go to"] == "Receipts!A4"
    assert any(r["Direction"] == "Open question" for r in rows)
    run(app, "recall", path, "O1")
    wb = openpyxl.load_workbook(path)
    assert "Trace" in wb.sheetnames and "Recall" in wb.sheetnames
    what = [row[2].value for row in wb["Recall"].iter_rows(min_row=2)]
    assert what.count("Customer") == 4 and what.count("On hand") == 3 and what[-1] == "Trace time"
    # the input tables read as before
    from massbal.xlsx.read.read_book import read_book
    assert {n: len(t.rows) for n, t in read_book(path).tables.items()} == \
        {n: len(t.rows) for n, t in read_book(to_xlsx(granola(), tmp_path / "fresh.xlsx")).tables.items()}


def test_the_ribbon_entry_points(book):
    """Export for inspector (export_book) and Trace lot (engine.api.trace_lots) as the add-in calls them."""
    from massbal.engine.api import prepare, trace_lots
    from massbal.inspector.export import export_book
    from massbal.inspector.verify import verify
    from massbal.xlsx.read.read_book import read_book
    out = export_book(book, pdf=False)
    assert out.name == "granola inspector copy.xlsx" and verify(out).ok
    assert [t.item for t in trace_lots(prepare(read_book(book)), "G1")] == ["Granola"]
