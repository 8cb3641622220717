"""Lot arithmetic shared by the simulation: first-in first-out allocation and quantities as typed.

Everything works on whole arrays: one call allocates a year of demand against a year of
lots for one item, however many rows that is.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.units import unit_info


def kg_per(unit: str, item_unit: str, item_kg_per_unit: float | None) -> float:
    """Kilograms in one `unit` of an item, as the engine will convert it (pint's factors)."""
    info = unit_info(unit)
    if info.kind == "mass":
        return float(info.to_kg)
    if item_kg_per_unit is None or unit_info(item_unit).key != info.key:
        raise ValueError(f"unit {unit!r} needs the item's own unit and Kg per unit")
    return float(item_kg_per_unit)


def pair_factors(units: pd.Series, items: pd.Series, items_def: dict, strict: bool = True) -> np.ndarray:
    """Kilograms per unit of each row, from its (unit, item) pair; NaN where not convertible
    (strict=False) or an error (strict=True). One pint lookup per distinct pair."""
    cu, uu = pd.factorize(np.asarray(units, dtype=object), use_na_sentinel=False)
    ci, ui = pd.factorize(np.asarray(items, dtype=object), use_na_sentinel=False)
    pair, first = np.unique(cu.astype(np.int64) * len(ui) + ci, return_inverse=True)
    f = np.empty(len(pair))
    for k, p in enumerate(pair):
        u, i = uu[p // len(ui)], ui[p % len(ui)]
        try:
            it = items_def[i]
            f[k] = kg_per(str(u), it.unit, it.kg_per_unit)
        except (KeyError, ValueError, TypeError):
            if strict:
                raise
            f[k] = np.nan
    return f[first.reshape(-1)]


def decimals(unit: str) -> int:
    """How finely people type quantities in a unit: 0.1 lb, 0.01 kg, whole cases."""
    info = unit_info(unit)
    if info.kind != "mass":
        return 0
    return 2 if info.to_kg >= 1.0 else 1


def floor_to(x: np.ndarray, d: int) -> np.ndarray:
    """Round down to d decimals, never up: a written part must not exceed what it stands for."""
    scale = 10.0 ** d
    return np.round(np.floor(np.asarray(x, dtype=float) * scale - 1e-6) / scale, d)


def draw_sizes(rng: np.random.Generator, n: int, lo: float, hi: float, step: float) -> np.ndarray:
    k_lo, k_hi = int(np.ceil(lo / step)), int(np.floor(hi / step))
    return np.round(rng.integers(k_lo, max(k_lo, k_hi) + 1, n) * step, 6)


def fifo(supply: np.ndarray, demand: np.ndarray) -> pd.DataFrame:
    """Allocate demand to supply first in, first out.

    Both are quantities in order (lots in the order they are used; demand in date order).
    Returns one row per (lot, demand line) piece: columns lot, line (positions) and qty.
    Demand beyond the total supply is left unallocated.
    """
    supply = np.asarray(supply, dtype=float)
    demand = np.asarray(demand, dtype=float)
    if len(supply) == 0 or len(demand) == 0:
        return pd.DataFrame({"lot": np.array([], int), "line": np.array([], int), "qty": np.array([], float)})
    s_cum, d_cum = np.cumsum(supply), np.cumsum(demand)
    top = min(s_cum[-1], d_cum[-1])
    cuts = np.union1d(s_cum[s_cum < top], d_cum[d_cum < top])
    edges = np.concatenate(([0.0], cuts, [top]))
    lo, hi = edges[:-1], edges[1:]
    keep = hi - lo > 1e-9
    lo, hi = lo[keep], hi[keep]
    mid = (lo + hi) / 2
    return pd.DataFrame({"lot": np.searchsorted(s_cum, mid, side="right"),
                         "line": np.searchsorted(d_cum, mid, side="right"),
                         "qty": hi - lo})


def first_needed(demand_cum: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Position of the first demand line whose cumulative total passes each point."""
    return np.searchsorted(demand_cum, points, side="right")


def written_parts(seg: pd.DataFrame, line_qty: np.ndarray, line_kg_per: np.ndarray,
                  line_dec: np.ndarray, lot_kg: np.ndarray) -> np.ndarray:
    """The quantity typed on each piece of a split demand line, in the line's unit.

    A line in one piece keeps its quantity as planned; a split line has every piece but
    the last rounded down and the last piece takes the rest, so the pieces add up to the
    line. Then no lot may give more than it holds: a piece that would tip a lot over by
    rounding gives back one step.
    """
    line = seg["line"].to_numpy()
    kgp = line_kg_per[line]
    dec = line_dec[line]
    raw = seg["qty"].to_numpy() / kgp
    scale = 10.0 ** dec
    part = np.round(np.floor(raw * scale - 1e-6) / scale, 6)
    last = np.r_[line[1:] != line[:-1], True]  # segments come sorted by line
    n_pieces = pd.Series(1, index=line).groupby(level=0).transform("size").to_numpy()
    sum_others = pd.Series(np.where(last, 0.0, part)).groupby(line).transform("sum").to_numpy()
    whole = line_qty[line]
    part = np.where(last, np.round(whole - sum_others, 6), part)
    part = np.where(n_pieces == 1, whole, part)
    # lots must never be overdrawn by rounding
    lot = seg["lot"].to_numpy()
    taken = pd.Series(part * kgp).groupby(lot).transform("sum").to_numpy()
    over = taken > lot_kg[lot] * (1 + 1e-12) + 1e-9
    if over.any():
        # give back from the lot's last piece enough whole steps to fit
        excess = taken - lot_kg[lot]
        is_last_of_lot = np.r_[lot[1:] != lot[:-1], True] if _sorted(lot) else _last_mask(lot)
        fix = over & is_last_of_lot
        steps = np.ceil(excess / kgp * scale + 1e-9) / scale
        part = np.where(fix, np.round(part - steps, 6), part)
    return np.maximum(part, 0.0)


def _sorted(a: np.ndarray) -> bool:
    return bool(np.all(a[1:] >= a[:-1])) if len(a) > 1 else True


def _last_mask(a: np.ndarray) -> np.ndarray:
    s = pd.Series(np.arange(len(a)))
    return (s.groupby(a).transform("max").to_numpy() == np.arange(len(a)))
