"""findings.combine sorts as it did when it mapped each row's severity to its rank."""
import numpy as np
import pandas as pd

from massbal.engine import findings as F


def _plain_combine(frames):
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    order = out["severity"].map(F._SEVERITY_ORDER)
    out = out.assign(_o=order).sort_values(["_o", "sheet", "row", "column"], kind="stable", na_position="first")
    return out.drop(columns="_o").reset_index(drop=True)


def test_combine_orders_as_the_per_row_map():
    # severities missing or unknown (ranked NaN, first), ties in every key (kept in order),
    # missing sheets, rows and columns
    rng = np.random.default_rng(3)
    severities = ["error", "warning", "info", None, "odd"]
    for _ in range(60):
        frames = []
        for _ in range(int(rng.integers(1, 5))):
            n = int(rng.integers(0, 12))
            rows = [None if rng.random() < 0.2 else int(r) for r in rng.integers(1, 5, n)]
            f = F.make("error", "BAD_VALUE", rng.choice(["Receipts", "Batches"]) if rng.random() < 0.8 else None,
                       rows, rng.choice(["Lot", "Quantity"]) if rng.random() < 0.8 else None, None,
                       [f"m{i}" for i in range(n)])
            f["severity"] = pd.Series([severities[i] for i in rng.integers(0, len(severities), len(f))],
                                      dtype=f["severity"].dtype)
            frames.append(f)
        if not any(len(f) for f in frames):
            continue
        pd.testing.assert_frame_equal(F.combine(frames), _plain_combine(frames), check_exact=True)
