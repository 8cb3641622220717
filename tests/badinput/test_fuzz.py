"""Fuzzing: no input, however broken, crashes massbal or escapes as a traceback.

1. Byte-level mutations of real workbooks (the corpus Excel saved, and a massbal book):
   bytes of the XML parts flipped, cut or duplicated, re-zipped, then read and reconciled.
   Each case must give a reconciliation or a BookReadError, nothing else.
2. Hypothesis-generated books: cells of every type in every column of every table,
   straight into the engine. Each must reconcile, with its problems as findings.
"""
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massbal.engine.api import reconcile
from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES
from massbal.xlsx.read.read_book import BookReadError, read_book

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "xlsx_corpus"
SMALL_CORPUS = ["xw_table06.xlsx", "poi_DateFormatTests.xlsx", "sjs_1904.xlsx", "xw_data_validation03.xlsx",
                "cal_table_with_insertrow_attribute.xlsx", "xw_merge_range03.xlsx", "poi_simple-monthly-budget.xlsx"]


def _massbal_book(path: Path) -> Path:
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in {
        "Items": [["Item", "Kind"], ["Oats", "Ingredient"], ["Granola", "Product"]],
        "Receipts": [["Date", "Item", "Lot", "Quantity", "Unit"], [dt.date(2025, 1, 2), "Oats", "O1", 1000, "lb"]],
        "Batches": [["Batch", "Date", "Item", "Lot", "Quantity", "Unit"], ["B1", dt.date(2025, 1, 3), "Granola", "G1", 900, "lb"]],
        "BatchInputs": [["Batch", "Item", "Lot", "Quantity", "Unit"], ["B1", "Oats", "O1", 1000, "lb"]],
        "Shipments": [["Date", "Item", "Lot", "Quantity", "Unit"], [dt.date(2025, 1, 9), "Granola", "G1", 800, "lb"]],
        "Counts": [["Date", "Item", "Quantity", "Unit"], [dt.date(2025, 1, 31), "Granola", 100, "lb"]],
    }.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """Re-zip the package with one XML part damaged the way real files get damaged."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    xml = [n for n in names if n.endswith((".xml", ".rels"))]
    victim = rng.choice(xml)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            body = src.read(n)
            if n == victim and body:
                b = bytearray(body)
                how = rng.randrange(5)
                if how == 0:  # flip a few bytes
                    for _ in range(rng.randint(1, 8)):
                        b[rng.randrange(len(b))] = rng.randrange(256)
                elif how == 1:  # truncate
                    b = b[:rng.randrange(len(b))]
                elif how == 2:  # duplicate a slice
                    i = rng.randrange(len(b))
                    b[i:i] = b[i:i + rng.randint(1, 200)]
                elif how == 3:  # a digit where a letter was, or the reverse
                    i = rng.randrange(len(b))
                    b[i] = ord(rng.choice("0123456789<>&\"'=-"))
                else:  # drop the part entirely
                    continue
                body = bytes(b)
            z.writestr(n, body)
    return out.getvalue()


FUZZ_CASES = 300


def test_mutated_workbooks_never_crash(tmp_path):
    rng = random.Random(20251123)
    seeds = [_massbal_book(tmp_path / "massbal.xlsx")] + [CORPUS / n for n in SMALL_CORPUS if (CORPUS / n).exists()]
    originals = [p.read_bytes() for p in seeds]
    # a fixed number of seeded cases, not a time budget: the same cases on any machine, and
    # no timing assertion (a loaded machine ran too few and failed a test that found nothing)
    cases, outcomes = 0, {"read": 0, "refused": 0}
    target = tmp_path / "case.xlsx"
    while cases < FUZZ_CASES:
        data = originals[cases % len(originals)]
        mutated = _mutate(data, rng) if rng.random() < 0.85 else \
            bytes(b if rng.random() > 0.001 else rng.randrange(256) for b in data)  # raw zip damage
        target.write_bytes(mutated)
        try:
            raw = read_book(target)
            if cases % 20 == 0:  # the engine too, on a share of the cases (it costs more per book)
                assert reconcile(raw).needs_attention in (True, False)
            outcomes["read"] += 1
        except BookReadError as e:
            assert str(e) and "\n" not in str(e).strip()
            outcomes["refused"] += 1
        cases += 1
    print(f"\nfuzz: {cases} mutated workbooks, {outcomes['read']} read, {outcomes['refused']} refused")
    assert outcomes["read"] > 0 and outcomes["refused"] > 0


CELL = st.one_of(
    st.none(), st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**12, 10**12), st.booleans(),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)),
    st.sampled_from(["#N/A", "#VALUE!", "lb", "kg", "case", "2025-02-30", "03/04/2025", "1,000", "Oats",
                     "oats ", "L1", "B1", "Yes", "No", "", "   ", "=SUM(A1)", "\u00a0"]),
)


@st.composite
def random_books(draw):
    tables = {}
    for name in draw(st.lists(st.sampled_from(list(TABLES)), unique=True, max_size=len(TABLES))):
        cols = [c.name for c in TABLES[name].columns]
        headers = draw(st.lists(st.sampled_from(cols + ["Extra", "quantity (kg)", ""]), min_size=1,
                                max_size=len(cols) + 2))
        rows = draw(st.lists(st.lists(CELL, min_size=len(headers), max_size=len(headers)), max_size=6))
        tables[name] = RawTable.from_records(name, headers, rows)
    return RawBook(tables, date1904=draw(st.booleans()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_books())
def test_random_books_reconcile_with_findings_not_exceptions(raw):
    rec = reconcile(raw)
    assert rec.needs_attention in (True, False)
    assert rec.findings["message"].map(lambda m: isinstance(m, str) and len(m) > 10).all()
    for col in ("beginning", "received", "expected_ending"):
        assert np.isfinite(rec.balances[col].astype(float)).all()
