"""date_slips (every candidate of the five kinds from one to_datetime and one frame) against
the way it was made before (a to_datetime, a strftime and a frame per kind, concatenated):
the same frame, rows, order and dtypes, on dates of leap days, period edges and NaT."""
import numpy as np
import pandas as pd

from massbal.engine.investigate.slips import EDGE_DAYS, PRIOR, _alts, date_slips


def _reference(rows: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> pd.DataFrame:
    d = pd.DatetimeIndex(rows["date"])
    cands = []
    swap = (d.day <= 12) & (d.day != d.month)
    sw = pd.to_datetime({"year": d.year[swap], "month": d.day[swap], "day": d.month[swap]}, errors="coerce")
    cands.append((rows[swap], pd.DatetimeIndex(sw), 0.0))
    for dy in (-1, 1):
        y = pd.to_datetime({"year": d.year + dy, "month": d.month, "day": d.day}, errors="coerce")
        cands.append((rows, pd.DatetimeIndex(y), 0.05))
    dd = d.to_numpy(dtype="datetime64[ns]")
    p = np.searchsorted(starts, dd, side="right") - 1
    inside = (p >= 0) & (dd <= ends[np.clip(p, 0, len(ends) - 1)])
    pc = np.clip(p, 0, len(ends) - 1)
    day = np.timedelta64(1, "D")
    near_start = inside & ((dd - starts[pc]) < EDGE_DAYS * day)
    near_end = inside & ((ends[pc] - dd) < EDGE_DAYS * day)
    cands.append((rows[near_start], pd.DatetimeIndex(starts[pc][near_start] - day), 0.0))
    cands.append((rows[near_end], pd.DatetimeIndex(ends[pc][near_end] + day), 0.0))
    out = []
    for sel, new, extra in cands:
        good = ~pd.isna(new)
        sel, new = sel[good], new[good]
        iso = lambda d: pd.DatetimeIndex(d).strftime("%Y-%m-%d").to_numpy(dtype=object)  # noqa: E731
        out.append(_alts(sel, "WRONG_PERIOD", "Date", sel["qty"], iso(sel["date"]), iso(new),
                         prior=np.full(len(sel), PRIOR["WRONG_PERIOD"] + extra), date_new=new))
    return pd.concat(out, ignore_index=True).drop_duplicates(["_i", "date_new"])


def test_date_slips_as_one_frame():
    rng = np.random.default_rng(3)
    starts = pd.date_range("2024-01-01", periods=24, freq="MS").to_numpy(dtype="datetime64[ns]")
    ends = (pd.date_range("2024-01-01", periods=24, freq="MS") + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[ns]")
    for n in (0, 1, 7, 300):
        days = rng.integers(-40, 800, n)
        dates = np.datetime64("2024-01-01", "ns") + days * np.timedelta64(1, "D")
        dates[rng.random(n) < 0.05] = np.datetime64("2024-02-29", "ns")
        dates[rng.random(n) < 0.03] = np.datetime64("NaT")
        rows = pd.DataFrame({"_i": rng.permutation(n) * 3 + 5, "date": dates, "qty": rng.normal(100, 30, n)},
                            index=rng.permutation(n) + 100)
        rows = pd.concat([rows, rows.iloc[: n // 4]])  # a row asked twice
        pd.testing.assert_frame_equal(date_slips(rows, starts, ends), _reference(rows, starts, ends),
                                      check_exact=True)
