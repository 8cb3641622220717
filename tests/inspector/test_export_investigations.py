"""The Investigations sheet in a real workbook: written by Reconcile, the user's notes kept
across runs, and carried into the inspector's copy (CONTRACT section 7)."""
from __future__ import annotations

import openpyxl
import pandas as pd

from massbal.books.template import write_input_book
from massbal.engine.api import reconcile
from massbal.inspector.export import export_book
from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.write.write_results import write_results

D = pd.Timestamp


def quinoa_tables() -> dict[str, pd.DataFrame]:
    ships = [900, 1000, 1000, 1200, 100, 1500, 800, 1100, 1000]
    cert = {"Supplier": "Andes Organics", "Certificate": "CERT-1"}
    return {
        "Items": pd.DataFrame([{"Item": "Quinoa", "Kind": "Ingredient", "Unit": "lb"}]),
        "Certificates": pd.DataFrame([{**cert, "Valid to": D("2030-12-31")}]),
        "Receipts": pd.DataFrame([{"Date": D("2025-11-03"), "Item": "Quinoa", "Lot": "Q2", "Quantity": 14000.0,
                                   "Unit": "lb", **cert}]),
        "Shipments": pd.DataFrame([{"Date": D(f"2025-11-{5 + 2 * i:02d}"), "Item": "Quinoa", "Lot": "Q1" if i < 3 else "Q2",
                                    "Quantity": float(q), "Unit": "lb", "Customer": "Whole Foods"}
                                   for i, q in enumerate(ships)]),
        "Counts": pd.DataFrame([{"Date": D("2025-10-31"), "Item": "Quinoa", "Quantity": 5000.0, "Unit": "lb", "Lot": "Q1"},
                                {"Date": D("2025-11-30"), "Item": "Quinoa", "Quantity": 9550.0, "Unit": "lb", "Lot": "Q2"},
                                {"Date": D("2025-12-31"), "Item": "Quinoa", "Quantity": 9550.0, "Unit": "lb", "Lot": "Q2"}]),
    }


def _table(ws, name):
    t = ws.tables[name]
    rows = list(ws[t.ref])
    head = [c.value for c in rows[0]]
    return head, [[c.value for c in r] for r in rows[1:]]


def test_sheet_notes_and_export(tmp_path):
    book = tmp_path / "quinoa.xlsx"
    write_input_book(book, quinoa_tables())
    rec = reconcile(read_book(book), "2025-11-01", "2025-12-31", period="month")
    write_results(str(book), rec, backup=False)
    wb = openpyxl.load_workbook(book)
    head, rows = _table(wb["Investigations"], "Investigations")
    first = dict(zip(head, rows[0], strict=True))
    assert (first["Item"], first["Cause"], first["Sheet"], first["Row"], first["Column"]) == \
        ("Quinoa", "DIGIT_SHIFT", "Shipments", 6, "Quantity")
    assert (first["Typed"], first["Suggested"], first["Variance after"], first["Status after"]) == ("100", "1,000", 50, "PASS")
    link = wb["Investigations"].cell(row=2, column=head.index("Go to") + 1).hyperlink
    assert link is not None and link.location == "'Shipments'!D6"
    # the flagged Balance row links to its first candidate; the December row passes
    # (two rows: a one-row table loses its link column in the package writer, see the issue note)
    bh, brows = _table(wb["Balance"], "Balance")
    assert [r[bh.index("Investigation")] for r in brows] == ["Shipments!D6 (DIGIT_SHIFT)", None]
    assert wb["Balance"].cell(row=2, column=bh.index("Investigation") + 1).hyperlink.location == \
        "'Investigations'!A2"
    # the investigator's notes
    ws = wb["Investigations"]
    notes = {"Root cause": "1,000 lb sale keyed as 100 lb", "Corrective action": "Shipment corrected; keying checked",
             "Investigated by": "M. Diaz", "Recomputed variance": 50}
    for h, v in notes.items():
        ws.cell(row=2, column=head.index(h) + 1).value = v
    wb.save(book)
    # a second Reconcile keeps them on their row
    write_results(str(book), reconcile(read_book(book), "2025-11-01", "2025-12-31", period="month"), backup=False)
    head, rows = _table(openpyxl.load_workbook(book)["Investigations"], "Investigations")
    kept = dict(zip(head, rows[0], strict=True))
    assert {h: kept[h] for h in notes} == notes
    # and the inspector's copy carries the sheet with them
    out = export_book(book, tmp_path / "copy.xlsx", start="2025-11-01", end="2025-11-30", pdf=False)
    # (the export's one period, 1-30 November, is the period the notes were typed against)
    ewb = openpyxl.load_workbook(out)
    assert "Investigations" in ewb.sheetnames
    eh, erows = _table(ewb["Investigations"], "Investigations")
    got = dict(zip(eh, erows[0], strict=True))
    assert (got["Cause"], got["Suggested"], got["Root cause"], got["Investigated by"]) == \
        ("DIGIT_SHIFT", "1,000", "1,000 lb sale keyed as 100 lb", "M. Diaz")
