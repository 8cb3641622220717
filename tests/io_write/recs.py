"""Reconciliation objects built by hand, with exactly the engine's frame columns."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from massbal.engine import findings as F
from massbal.engine.result import BALANCE_COLUMNS, LEDGER_COLUMNS, SUPPLY_COLUMNS, YIELD_COLUMNS, Reconciliation


def balances(items, start=date(2025, 11, 1), end=date(2025, 11, 30)) -> pd.DataFrame:
    rows = []
    for i, item in enumerate(items):
        exp = 1000.0 + i
        counted = exp - 10 * i if i % 3 else None
        var = None if counted is None else counted - exp
        status = "NO COUNT" if counted is None else ("PASS" if abs(var) / exp < 0.05 else "INVESTIGATE")
        if i == 4:
            status = "NEGATIVE"
        owner = "Acme" if len(item) % 2 == 0 else None   # stable per item, as keys must be
        rows.append({"item": item, "owner": owner, "start": start, "end": end,
                     "beginning": 500.0 + i, "received": 700.0, "produced": 0.0, "used": 0.0,
                     "shipped": 200.0 - i, "losses": 0.5, "expected_ending": exp,
                     "counted_ending": counted, "variance": var,
                     "variance_pct": None if var is None else round(100 * var / exp, 4),
                     "tolerance_pct": 5.0, "status": status})
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)


def supply(names, start=date(2025, 11, 1), end=date(2025, 11, 30)) -> pd.DataFrame:
    rows = [{"ingredient": n, "owner": None, "start": start, "end": end, "available": 1000.0,
             "shipped_equivalent": 950.0, "losses_equivalent": 50.0, "on_hand_equivalent": 0.0,
             "unaccounted": -5.0 if k == 1 else 0.0, "tolerance_pct": 5.0,
             "status": "OVERSOLD" if k == 1 else "PASS"} for k, n in enumerate(names)]
    return pd.DataFrame(rows, columns=SUPPLY_COLUMNS)


def yields(batches) -> pd.DataFrame:
    rows = [{"batch": b, "product": "Quinoa, cleaned", "date": date(2025, 11, 3 + k), "owner": None,
             "input": 1000.0, "output": 950.0, "process_loss": 50.0, "documented_loss": 50.0,
             "undocumented_loss": 0.0, "yield_pct": 95.0} for k, b in enumerate(batches)]
    return pd.DataFrame(rows, columns=YIELD_COLUMNS)


def findings(n=3) -> pd.DataFrame:
    parts = [
        F.make("error", "UNKNOWN_LOT", "Receipts", [17, 18][: max(0, n - 1)], "Lot", "C",
               "Lot L-9 is not known & was never received <check>"),
        F.make("warning", "MISSING_TABLE", "Counts", None, None, None, "There is no Counts table."),
    ]
    return F.combine(parts)


def ledger(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = np.array(["receipt", "shipment", "batch input", "batch output", "loss"], dtype=object)
    items = np.array(["Almonds", "Raisins", "Quinoa", "Sunflower kernels", "Trail mix"], dtype=object)
    qty = np.round(rng.random(n) * 1000, 2)
    effect = np.where(rng.random(n) < 0.5, qty, -qty)
    lots = pd.Series(np.arange(n) % 5000).astype(str)
    return pd.DataFrame({
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n) % 365, unit="D"),
        "kind": kinds[np.arange(n) % 5], "item": items[(np.arange(n) // 7) % 5],
        "lot": ("L-" + lots).to_numpy(), "owner": np.where(np.arange(n) % 4 == 0, "Acme", None),
        "location": np.where(np.arange(n) % 3 == 0, "Main", None), "qty": qty,
        "effect": effect, "batch": np.where(np.arange(n) % 5 >= 2, "B-" + lots, None),
        "partner": np.where(np.arange(n) % 5 == 0, "Sun Farms Co-op", None),
        "certificate": np.where(np.arange(n) % 5 == 0, "CCOF-123", None),
        "organic": np.where(np.arange(n) % 9 == 0, "No", "Yes"),
        "reference": np.where(np.arange(n) % 2 == 0, "PO-" + lots, None),
        "sheet": np.array(["Receipts", "Shipments", "BatchInputs", "Batches", "Losses"], dtype=object)[np.arange(n) % 5],
        "row": (np.arange(n) // 5 + 2).astype(np.int64),
    }, columns=LEDGER_COLUMNS)


def reconciliation(items=("Almonds", "Raisins", "Quinoa"), ledger_rows=20, unit="lb", **kw) -> Reconciliation:
    return Reconciliation(
        unit=unit, periods=[(date(2025, 11, 1), date(2025, 11, 30))],
        balances=kw.get("balances", balances(items)), supply=kw.get("supply", supply(["Quinoa", "Almonds"])),
        yields=kw.get("yields", yields(["B-101", "B-102"])), findings=kw.get("findings", findings()),
        ledger=kw.get("ledger", ledger(ledger_rows)))
