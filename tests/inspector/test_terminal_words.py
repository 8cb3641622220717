"""Issue 9, item 11: figures that need a word, in the trace and recall a user reads at 80
columns (a real .xlsx file, the real command): the forward quantity says it is the traced
lot's part, a conventional ingredient is 'not organic' (not '0.0 %'), a small real share is
not rounded to 0.0 %, rounding dust is not stock to quarantine, and nothing is cut."""
import os
import subprocess
import sys

from bookkit import certified, receipt, run, ship, use
from cli_books import write_book

from massbal.cli.inspector import _q, _share


def _massbal(*args):
    return subprocess.run([sys.executable, "-m", "massbal.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "80"})


def test_small_shares_and_signless_zero():
    assert _share(0.0003) == "0.03 %" and _share(0.69) == "69.0 %" and _share(1.0) == "100.0 %"
    assert _q(-0.001) == "0.00" and _q(-1234.5) == "-1,234.50"


def test_trace_and_recall_words_at_80_columns(tmp_path):
    book = tmp_path / "bars.xlsx"
    # 1,000 lb oats + 0.3 lb conventional salt -> 1,000.3 lb bars; 1,000.29 shipped: 0.01 lb is dust
    write_book(book, Items=[{"Item": "Oats", "Kind": "Ingredient"},
                            {"Item": "Salt", "Kind": "Ingredient", "Category": "Salt", "Organic": "No"},
                            {"Item": "Oat bar", "Kind": "Product"}],
               Certificates=[certified("Andes Organics", "C1")],
               Receipts=[receipt("2025-03-01", "Oats", "O1", 1000, supplier="Andes Organics", cert="C1"),
                         receipt("2025-03-01", "Salt", "S1", 0.3, supplier="Salt Co", cert=None, Organic="No")],
               Batches=[run("B1", "2025-03-02", "Oat bar", "BAR1", 1000.3)],
               BatchInputs=[use("B1", "Oats", "O1", 1000), use("B1", "Salt", "S1", 0.3)],
               Shipments=[ship("2025-03-05", "Oat bar", "BAR1", 1000.29, customer="Northstar Natural Distributors")])
    text = " ".join(_massbal("trace", book, "BAR1", "--dry-run").stdout.split())
    assert "organic content Oats 100.0 %, Salt (not organic)" in text and " 0.0 %" not in text
    p = _massbal("trace", book, "O1", "--dry-run")
    assert "of this lot" in p.stdout and "…" not in p.stdout
    assert "how much of lot O1 each step holds" in " ".join(p.stdout.split())
    p = _massbal("recall", book, "O1", "--dry-run")
    words = p.stdout.split()
    assert "Northstar" in words and "Distributors" in words and "…" not in p.stdout
    assert "0.01" not in words  # 0.01 lb of O1 left in BAR1 is rounding, not stock to quarantine
    assert "rounding left by proportional splits" in " ".join(words)
    assert all(len(line.rstrip()) <= 80 for line in p.stdout.splitlines())
