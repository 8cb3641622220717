"""Property: on random consistent books (month-end counts equal to the books), one slip
planted in one cell is named first, with its original value, whenever it flags the
figure; a book without a slip shows no candidate. The rate is printed (pytest -s)."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pandas as pd
from bookkit import book, certified, count, loss, receipt, ship

from massbal.engine.api import reconcile

LB_PER_KG = 1 / 0.45359237
ITEMS = ("Oats", "Flax")
MONTHS = (1, 2, 3)
KINDS = ("DIGIT_SHIFT", "TRANSPOSED_DIGITS", "UNIT_SLIP", "DUPLICATE_ROW", "WRONG_PERIOD")


def _month_end(m: int) -> date:
    return date(2025, m + 1, 1) - timedelta(days=1)


def random_book(rng: random.Random) -> dict:
    """Receipts, shipments and losses of two items over three months; counts = the books."""
    tables = {"Receipts": [], "Shipments": [], "Losses": [], "Counts": []}
    for item in ITEMS:
        stock = float(rng.randint(1000, 5000))
        tables["Counts"].append(count("2024-12-31", item, stock))
        for m in MONTHS:
            days = sorted(rng.sample(range(1, _month_end(m).day + 1), 7))
            for k, d in enumerate(days):
                when = date(2025, m, d).isoformat()
                kg = rng.random() < 0.25
                if k % 2 == 0 or stock < 200:
                    q = rng.randint(100, 3000)
                    tables["Receipts"].append(receipt(when, item, f"{item[0]}{m}{k}", q, "kg" if kg else "lb"))
                    stock += q * (LB_PER_KG if kg else 1)
                elif rng.random() < 0.15:
                    q = rng.randint(5, max(6, int(stock * 0.05)))
                    tables["Losses"].append(loss(when, item, q, Reason="spoilage"))
                    stock -= q
                else:
                    q = rng.randint(50, max(51, int(stock * 0.6)))
                    tables["Shipments"].append(ship(when, item, f"{item[0]}{m}0", q))
                    stock -= q
            tables["Counts"].append(count(_month_end(m).isoformat(), item, round(stock, 6)))
    return tables


def _swap(q: int, rng: random.Random) -> int | None:
    s = str(q)
    pairs = [i for i in range(len(s) - 1) if s[i] != s[i + 1] and not (i == 0 and s[i + 1] == "0")]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return int(s[:i] + s[i + 1] + s[i] + s[i + 2:])


def plant(tables: dict, kind: str, rng: random.Random):
    """One slip in one movement cell: (table, index, column, original value) or None."""
    table = rng.choice(["Receipts", "Shipments"] + (["Losses"] if tables["Losses"] else []))
    rows = tables[table]
    i = rng.randrange(len(rows))
    r = rows[i]
    q = r["Quantity"]
    if kind == "DIGIT_SHIFT":
        r["Quantity"] = q * 10 if rng.random() < 0.5 or q % 10 else q // 10
        return table, i, "Quantity", q
    if kind == "TRANSPOSED_DIGITS":
        new = _swap(q, rng)
        if new is None:
            return None
        r["Quantity"] = new
        return table, i, "Quantity", q
    if kind == "UNIT_SLIP":
        old = r["Unit"]
        r["Unit"] = "kg" if old == "lb" else "lb"
        return table, i, "Unit", old
    if kind == "DUPLICATE_ROW":
        rows.append(dict(r))
        return table, len(rows) - 1, "Quantity", q
    d = date.fromisoformat(r["Date"])  # WRONG_PERIOD: a day across the month's edge
    if d.day <= 2 and d.month > 1:
        new = date(2025, d.month, 1) - timedelta(days=1)
    elif d.day >= _month_end(d.month).day - 1 and d.month < 3:
        new = _month_end(d.month) + timedelta(days=1)
    else:
        return None
    r["Date"] = new.isoformat()
    return table, i, "Date", d.isoformat()


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a).strip().lower() == str(b).strip().lower()
    return abs(float(a) - float(b)) < 1e-6


def test_planted_slip_is_named_first():
    rng = random.Random(20251201)
    tried = hit = 0
    misses = []
    for n in range(60):
        kind = KINDS[n % len(KINDS)]
        tables = random_book(rng)
        planted = plant(tables, kind, rng)
        if planted is None:
            continue
        table, i, column, original = planted
        rec = reconcile(book(Items=[{"Item": x, "Kind": "Ingredient"} for x in ITEMS], Certificates=[certified()],
                             **tables), "2025-01-01", "2025-03-31", period="month")
        r = tables[table][i]
        month = pd.Timestamp(original if column == "Date" else r["Date"]).to_period("M").start_time
        bal = rec.balances[(rec.balances["item"] == r["Item"]) & (rec.balances["start"] == month)].iloc[0]
        if bal["status"] not in ("INVESTIGATE", "NEGATIVE"):
            continue  # the slip is within tolerance: nothing to explain
        tried += 1
        inv = rec.investigations
        first = inv[(inv["item"] == r["Item"]) & (inv["start"] == month)].iloc[0]
        ok = (first["sheet"] == table and first["row"] == i + 2 and first["column"] == column
              and first["cause"] == kind and (kind == "DUPLICATE_ROW" or _same(first["suggested"], original)))
        hit += ok
        if not ok:
            misses.append((n, kind, table, i + 2, column, original, first["cause"], first["cell"], first["suggested"]))
    rate = hit / tried
    print(f"\nplanted slips that flagged their figure: {tried}; named first with the original value: {hit} "
          f"({100 * rate:.1f} %)")
    for m in misses:
        print("missed:", m)
    # Measured on this seed: 30 of 31 (96.8 %). The one miss is a true tie no record can
    # break: 922 keyed as 292 on a shipment and 818 keyed for 188 on a receipt of the same
    # month both close the gap of -630 exactly (a swap of two digits always moves a value
    # by 9 x their difference x a power of ten, so such twins are not rare).
    assert tried >= 30 and rate >= 0.95, misses


def test_books_without_a_slip_show_no_candidate():
    rng = random.Random(7)
    for _ in range(8):
        rec = reconcile(book(Items=[{"Item": x, "Kind": "Ingredient"} for x in ITEMS], Certificates=[certified()],
                             **random_book(rng)), "2025-01-01", "2025-03-31", period="month")
        assert set(rec.balances["status"]) == {"PASS"}
        assert rec.investigations.empty
