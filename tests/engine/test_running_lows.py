"""The balance explainer's running lows (_roll_low's _lows) against roll itself: the same
min_running of every pair, to the bit, on moves like _roll_low's (a beginning on the day
before the period, then receipts and shipments of any sign of zero, repeated days, NaN)."""
import numpy as np
import pandas as pd

from massbal.engine.investigate.balances import _lows
from massbal.engine.roll import roll


def _by_roll(mv: pd.DataFrame, n: int, start, end) -> np.ndarray:
    none = pd.DataFrame({"pair": pd.Series(dtype=np.int64), "date": pd.Series(dtype="datetime64[ns]"),
                         "value": pd.Series(dtype=float)})
    keys = pd.DataFrame({"pair": np.arange(n)})
    g = roll(mv[["pair", "date", "kind", "value"]], none, none[["pair", "date"]],
             [(pd.Timestamp(start), pd.Timestamp(end))], ["pair"], ["pair"], keys=keys)
    return keys.merge(g[["pair", "min_running"]], on="pair", how="left")["min_running"].fillna(0.0).to_numpy()


def _moves(rng, n: int, start, days: int) -> pd.DataFrame:
    opening = pd.DataFrame({"pair": np.arange(n), "date": start - np.timedelta64(1, "D"),
                            "effect": rng.normal(50, 80, n).round(rng.integers(0, 4))})
    m = int(rng.integers(0, 12 * n + 1))
    moves = pd.DataFrame({"pair": rng.integers(0, n, m), "date": start + rng.integers(0, days, m) * np.timedelta64(1, "D"),
                          "effect": rng.normal(0, 60, m).round(int(rng.integers(0, 4)))})
    if m:
        moves.loc[rng.random(m) < 0.1, "effect"] = -0.0
        moves.loc[rng.random(m) < 0.05, "effect"] = 0.0
        moves.loc[rng.random(m) < 0.02, "effect"] = np.nan
    mv = pd.concat([opening, moves], ignore_index=True)
    return mv.assign(kind=np.where(mv["effect"] >= 0, "receipt", "shipped"), value=mv["effect"].abs())


def test_lows_as_roll_gives_them():
    rng = np.random.default_rng(15)
    start = np.datetime64("2025-03-01", "ns")
    for _ in range(60):
        n = int(rng.integers(1, 9))
        days = int(rng.integers(1, 32))
        end = start + np.timedelta64(days - 1, "D")
        mv = _moves(rng, n, start, days)
        mine, theirs = _lows(mv, n, start, end), _by_roll(mv, n, start, end)
        assert mine is not None
        np.testing.assert_array_equal(mine, theirs)
        assert (np.signbit(mine) == np.signbit(theirs)).all()


def test_lows_leave_a_missing_date_to_roll():
    mv = pd.DataFrame({"pair": [0, 0], "date": pd.to_datetime(["2025-02-28", None]), "kind": ["receipt", "shipped"],
                       "value": [5.0, 2.0]})
    assert _lows(mv, 1, np.datetime64("2025-03-01", "ns"), np.datetime64("2025-03-31", "ns")) is None
