"""Issue 9, item 6: `massbal reconcile` reads at ordinary terminal widths. A verdict comes
first (what to investigate, which sheet to open, why the exit status), then only what
needs attention; nothing is cut (no `Quin…`), `--all` shows every row."""
import os
import subprocess
import sys
from datetime import date
from itertools import pairwise

import pytest
from bookkit import certified, count, receipt, ship
from cli_books import write_book

from massbal.engine.verdict import Tally, headline, period_label

LONG = "Quinoa white pre-washed Peruvian highland"


def massbal(*args, columns):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "massbal.cli", *map(str, args)], capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="module")
def quinoa(tmp_path_factory):
    """Q1 by hand: 1,000 lb received, 500 shipped, expected 500; counted 400 on 31 March:
    variance -100 lb, -20.00 %: INVESTIGATE. One shipment in 'lbz' (an error). Rice passes."""
    path = tmp_path_factory.mktemp("terminal") / "quinoa.xlsx"
    write_book(path, Items=[{"Item": LONG, "Kind": "Ingredient"}, {"Item": "Rice", "Kind": "Ingredient"}],
               Certificates=[certified("Andes Organics", "C1")],
               Receipts=[receipt("2025-01-10", LONG, "Q-1", 1000, supplier="Andes Organics", cert="C1"),
                         receipt("2025-01-10", "Rice", "R-1", 200, supplier="Andes Organics", cert="C1")],
               Shipments=[ship("2025-02-10", LONG, "Q-1", 500), ship("2025-02-11", LONG, "Q-1", 10, unit="lbz")],
               Counts=[count("2025-03-31", LONG, 400, Lot="Q-1"), count("2025-03-31", "Rice", 200, Lot="R-1")])
    return path


@pytest.mark.parametrize("columns", [80, 120])
def test_verdict_first_then_only_what_needs_attention(quinoa, columns):
    p = massbal("reconcile", quinoa, "--from", "2025-01-01", "--to", "2025-03-31", "--period", "quarter",
                "--dry-run", columns=columns)
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    first = " ".join(" ".join(lines[:4]).split())
    assert first.startswith("1 balance to investigate, 1 organic supply balance to investigate and 1 error need a "
                            "look: open the Balance, Supply and Exceptions sheets (exit status 1).")
    assert "(exit status 1)" in first
    assert "no negative balances" in p.stdout and "no oversold organic ingredients" in p.stdout
    assert all(len(line.rstrip()) <= columns for line in lines)
    assert "…" not in p.stdout
    words = p.stdout.split()
    # balance: expected 500, counted 400; supply: 1,000 available, 500 shipped, 100 unaccounted
    for w in LONG.split() + ["2025", "Q1", "INVESTIGATE", "500.00", "400.00", "-100.00", "-20.00", "BAD_UNIT",
                             "1,000.00", "100.00"]:
        assert w in words, w
    assert "Rice" not in words  # it passes: not what needs attention
    assert "Shipments!E3" in p.stdout  # the cell to fix


def test_all_prints_every_row(quinoa):
    p = massbal("reconcile", quinoa, "--from", "2025-01-01", "--to", "2025-03-31", "--dry-run", "--all", columns=80)
    assert "Rice" in p.stdout.split() and "PASS" in p.stdout.split()
    assert "…" not in p.stdout


def test_help_shows_no_stray_bool():
    p = massbal("reconcile", "--help", columns=80)
    assert p.returncode == 0 and "--all" in p.stdout and "--dry-run" in p.stdout
    assert "<bool>" not in p.stdout


def test_a_finding_without_a_row_is_shown_at_its_sheet(tmp_path):
    path = tmp_path / "no_shipments.xlsx"
    write_book(path, Items=[{"Item": "Rice", "Kind": "Ingredient"}], Certificates=[certified("Andes Organics", "C1")],
               Receipts=[receipt("2025-01-10", "Rice", "R-1", 200, supplier="Andes Organics", cert="C1")])
    p = massbal("reconcile", path, "--dry-run", columns=80)
    assert p.returncode == 0 and "Traceback" not in p.stderr  # a missing Shipments sheet is a warning
    assert "MISSING_TABLE" in p.stdout and "  Shipments The workbook has no Shipments table" in p.stdout
    assert "1 balance without a count on its last day" in p.stdout


def test_all_clear_says_so_and_exits_0(tmp_path):
    path = tmp_path / "rice.xlsx"
    write_book(path, Items=[{"Item": "Rice", "Kind": "Ingredient"}], Certificates=[certified("Andes Organics", "C1")],
               Receipts=[receipt("2025-01-10", "Rice", "R-1", 200, supplier="Andes Organics", cert="C1")],
               Shipments=[], Counts=[count("2025-01-31", "Rice", 200, Lot="R-1")])
    p = massbal("reconcile", path, "--dry-run", columns=80)
    assert p.returncode == 0
    assert p.stdout.startswith("Nothing needs investigating")


def test_period_labels_are_short_and_exact():
    assert period_label(date(2025, 3, 1), date(2025, 3, 31)) == "2025-03"
    assert period_label(date(2025, 4, 1), date(2025, 6, 30)) == "2025 Q2"
    assert period_label(date(2025, 1, 1), date(2025, 12, 31)) == "2025"
    assert period_label(date(2025, 2, 1), date(2025, 4, 30)) == "2025-02-01 to 2025-04-30"  # not a quarter
    assert period_label(date(2025, 3, 2), date(2025, 3, 31)) == "2025-03-02 to 2025-03-31"  # clipped month


def test_headline_counts_what_blocks_and_names_the_sheets():
    items = [Tally(2, "balance to investigate", "balances to investigate", "Balance", True),
             Tally(0, "negative balance", "negative balances", "Balance", True),
             Tally(1, "oversold organic ingredient", "oversold organic ingredients", "Supply", True),
             Tally(5, "warning", "warnings", "Exceptions", False)]
    assert headline(items, 1) == ("2 balances to investigate and 1 oversold organic ingredient need a look: "
                                  "open the Balance and Supply sheets (exit status 1).")
    assert headline(items[3:], 0).startswith("Nothing needs investigating")
    assert headline(items[2:3], 1).startswith("1 oversold organic ingredient needs a look: open the Supply sheet ")


def test_export_says_its_fingerprint_within_80_columns(quinoa, tmp_path):
    """The fingerprint stands whole on one line and the sentence around it wraps at words
    (the terminal used to break the line inside the fingerprint)."""
    p = massbal("export", quinoa, "-o", tmp_path / "copy.xlsx", "--no-pdf", columns=80)
    assert p.returncode == 0, p.stderr
    lines = p.stderr.splitlines()
    assert lines and all(len(line.rstrip()) <= 80 for line in lines)
    fingerprint = next(w for w in p.stderr.split() if len(w) == 64)
    assert any(fingerprint in line for line in lines)
    assert " ".join(p.stderr.split()).startswith(f"Fingerprint (SHA-256): {fingerprint} (of the data:")


def test_command_list_wraps_at_the_terminal_not_inside_a_sentence():
    # a hard line break inside a command's summary left a half-empty line in `massbal --help`
    p = massbal("--help", columns=80)
    panel = p.stdout.split("Commands")[1].splitlines()[1:]
    inner = [ln[1:-1] for ln in panel if ln.startswith("│") and ln.endswith("│")]
    assert len(inner) > 10
    first_col = inner[0].index(inner[0].split()[1])   # where the summaries start
    for prev, line in pairwise(inner):
        if line[:first_col].strip():   # a new command starts here
            continue
        room = len(prev) - len(prev.rstrip(" "))
        word = line.split()[0]
        assert len(word) + 1 >= room, f"{word!r} fits after {prev.rstrip()!r}"
