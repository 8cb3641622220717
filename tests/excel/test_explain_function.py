"""MASSBAL_EXPLAIN (MASSBAL.EXPLAIN in Lite): the first candidate of a flagged balance as a
sentence, from the same engine as the Investigations sheet (CONTRACT section 7)."""
from __future__ import annotations

import pytest
import xlwings as xw
from payload import payload_from_xlsx, write_book
from test_lite import call_function, run_script

from massbal.excel import udfs

QUINOA = {
    "Items": [{"Item": "Quinoa", "Kind": "Ingredient", "Unit": "lb"}],
    "Certificates": [{"Supplier": "Andes Organics", "Certificate": "CERT-1", "Valid to": "2030-12-31"}],
    "Receipts": [{"Date": "2025-11-03", "Item": "Quinoa", "Lot": "Q2", "Quantity": 14000, "Unit": "lb",
                  "Supplier": "Andes Organics", "Certificate": "CERT-1"}],
    "Shipments": [{"Date": f"2025-11-{5 + 2 * i:02d}", "Item": "Quinoa", "Lot": "Q1" if i < 3 else "Q2", "Quantity": q,
                   "Unit": "lb", "Customer": "Whole Foods"}
                  for i, q in enumerate([900, 1000, 1000, 1200, 100, 1500, 800, 1100, 1000])],
    "Counts": [{"Date": "2025-10-31", "Item": "Quinoa", "Quantity": 5000, "Unit": "lb", "Lot": "Q1"},
               {"Date": "2025-11-30", "Item": "Quinoa", "Quantity": 9550, "Unit": "lb", "Lot": "Q2"},
               {"Date": "2025-12-31", "Item": "Quinoa", "Quantity": 9550, "Unit": "lb", "Lot": "Q2"}],
}
SENTENCE = "Shipments row 6: Quantity 100 was probably 1,000 (a digit shift). With 1,000 the variance would be 50 lb"


@pytest.fixture()
def xlsx(tmp_path):
    return write_book(tmp_path / "Quinoa.xlsx", QUINOA)


def test_desktop_function_gives_the_first_candidate(xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    cell = book.sheets[0].range("H1")
    assert udfs.MASSBAL_EXPLAIN("Quinoa", "2025-11-01", "2025-11-30", caller=cell).startswith(SENTENCE)
    assert udfs.MASSBAL_EXPLAIN("Quinoa", "2025-12-01", "2025-12-31", caller=cell).startswith("PASS:")
    assert "not an item" in udfs.MASSBAL_EXPLAIN("Quinoz", "2025-11-01", "2025-11-30", caller=cell)


def test_lite_function_gives_the_same_sentence(main, xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    args = [[["Quinoa"]], [["2025-11-01"]], [["2025-11-30"]], [[None]]]
    call_function(main, "massbal_explain", args, "Quinoa.xlsx")  # loads, asks for the check script
    run_script(main, "massbal_check", book)
    got = call_function(main, "massbal_explain", args, "Quinoa.xlsx")
    value = got.value if hasattr(got, "value") else got
    assert value[0][0].startswith(SENTENCE)
