"""A year of an organic food business, lot by lot, as it really happened.

The simulation plans backwards from what is sold, so that the books are consistent by
construction:
- scheduled products run on their own dates; everything they need is planned to arrive
  (or be made) a few days before its first use, in first-in first-out order;
- a new lot arrives while the previous one still holds a quarter of itself, so stock
  never runs dry and a count's small noise never makes a book negative;
- products ship only from lots made before the ship date, never more than a lot holds.
Every quantity is typed the way people type it (0.1 lb, 0.01 kg, whole cases), and every
lot's pieces add up to no more than the lot.

The result is the true ledger (what physically moved) and the tables as written; planted
mistakes (mistakes.py) change only the written tables.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import flow
from .catalog import PLANT, YEAR, Catalog, Process

LAST_DAY = 364
EPOCH = pd.Timestamp(f"{YEAR}-01-01")
REFILL_AT = 0.25  # the next lot arrives before the current one falls below this share


@dataclass
class World:
    catalog: Catalog
    lots: pd.DataFrame  # every lot: received or made
    runs: pd.DataFrame  # one row per production run
    pieces: pd.DataFrame  # every outflow piece: run input, shipment, stock loss (lot, qty as typed)


class _Sim:
    def __init__(self, cat: Catalog, rng: np.random.Generator):
        self.cat, self.rng = cat, rng
        self.items = {i.name: i for i in cat.items}
        self.maker: dict[str, Process] = {p.output: p for p in cat.processes}
        self.co_maker = {c: p for p in cat.processes for c, _ in p.coproducts}
        self.sales = {(s.item, s.owner): s for s in cat.sales}
        self.demand: dict[tuple, list[pd.DataFrame]] = defaultdict(list)
        self.lots: list[pd.DataFrame] = []
        self.runs: list[pd.DataFrame] = []
        self.pieces: list[pd.DataFrame] = []
        self.n_runs = 0
        self.n_lines = 0
        self.n_lots = 0

    def new_lot_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self.n_lots, self.n_lots + n, dtype=np.int64)
        self.n_lots += n
        return ids

    # -- units
    def kgp(self, unit: str, item: str) -> float:
        it = self.items[item]
        return flow.kg_per(unit, it.unit, it.kg_per_unit)

    def season(self, days: np.ndarray) -> np.ndarray:
        """1 in mid-July, -1 in mid-January."""
        return np.cos(2 * np.pi * (np.asarray(days) - 196) / 365.0)

    # -- runs
    def add_runs(self, proc: Process, days: np.ndarray, out_qty: np.ndarray, yields: np.ndarray) -> pd.DataFrame:
        """Record runs of `proc` making out_qty (item units) on days; their inputs become demand."""
        n = len(days)
        run_ids = np.arange(self.n_runs, self.n_runs + n)
        self.n_runs += n
        out_item = self.items[proc.output]
        out_kg = out_qty * self.kgp(out_item.unit, proc.output)
        in_kg = out_kg / yields
        self.runs.append(pd.DataFrame({"run": run_ids, "process": proc.output, "day": days,
                                       "location": proc.location, "owner": proc.owner,
                                       "input_kg": in_kg, "documented": self.rng.random(n) < proc.documented}))
        outs = [pd.DataFrame({"item": proc.output, "qty": out_qty, "unit": out_item.unit, "run": run_ids,
                              "day": days, "order": 0})]
        for k, (co, share) in enumerate(proc.coproducts, start=1):
            co_item = self.items[co]
            q = flow.floor_to(in_kg * share / self.kgp(co_item.unit, co), 0)
            outs.append(pd.DataFrame({"item": co, "qty": q, "unit": co_item.unit, "run": run_ids,
                                      "day": days, "order": k}))
        out = pd.concat(outs, ignore_index=True)
        kgp = {i: self.kgp(self.items[i].unit, i) for i in out["item"].unique()}
        out = out.assign(owner=proc.owner, location=proc.location, origin="run",
                         kg=out["qty"] * out["item"].map(kgp), lot_id=self.new_lot_ids(len(out)))
        self.lots.append(out)
        u = proc.input_unit
        d = flow.decimals(u)
        for item, share in proc.inputs:
            f = self.kgp(u, item)
            qty = flow.floor_to(in_kg * share / f, d)
            self.add_demand(item, proc.owner, pd.DataFrame({
                "day": days, "qty": qty, "unit": u, "kg": qty * f, "kind": "used", "run": run_ids,
                "location": proc.location}))
        return out

    def add_demand(self, item: str, owner, frame: pd.DataFrame) -> None:
        frame = frame[frame["qty"] > 0]
        n = len(frame)
        frame = frame.assign(line=np.arange(self.n_lines, self.n_lines + n), item=item, owner=owner)
        self.n_lines += n
        self.demand[(item, owner)].append(frame)

    def yields(self, proc: Process, days: np.ndarray) -> np.ndarray:
        y = proc.yield_base - proc.yield_season * self.season(days) + self.rng.normal(0, proc.yield_sd, len(days))
        if proc.outlier is not None and len(days):
            y[np.argmin(np.abs(days - proc.outlier[0]))] = proc.outlier[1]
        return y

    # -- the year
    def run(self) -> World:
        cat, rng = self.cat, self.rng
        for proc in cat.processes:
            if proc.fixed_runs:
                days = np.array(proc.fixed_runs, dtype=np.int64)
                lo, hi, step = proc.run_size
                size = flow.draw_sizes(rng, len(days), lo, hi, step)
                size = np.round(size * (1 + proc.season_size * np.cos(2 * np.pi * (days - 350) / 365.0)) / step) * step
                self.add_runs(proc, days, size, self.yields(proc, days))
        for s in cat.sales:
            if s.orders:  # sold from stock kept on hand: orders come on their own dates
                self.add_demand(s.item, s.owner, self.orders_on_dates(s))
        for ls in cat.losses:
            if not self.supply_driven(ls.item):
                days = np.sort(rng.integers(20, 350, ls.n))
                qty = flow.draw_sizes(rng, ls.n, *ls.size)
                self.add_demand(ls.item, None, pd.DataFrame({
                    "day": days, "qty": qty, "unit": ls.unit, "kg": qty * self.kgp(ls.unit, ls.item),
                    "kind": "loss", "reason": ls.reason, "evidence": ls.evidence, "location": ls.location}))
        for item in self.demand_order():
            for owner in sorted({o for (i, o) in list(self.demand) if i == item}, key=str):
                self.supply_pool(item, owner)
        lots = pd.concat(self.lots, ignore_index=True)
        self.ship_made_products(lots)
        return self.finish()

    def supply_driven(self, item: str) -> bool:
        p = self.maker.get(item)
        return bool(p and p.fixed_runs) or item in self.co_maker

    def demand_order(self) -> list[str]:
        """Items planned to demand, each after every item that consumes it."""
        consumers = defaultdict(set)
        for p in self.cat.processes:
            for i, _ in p.inputs:
                consumers[i].add(p.output)
        depth: dict[str, int] = {}

        def d(x: str, seen=()) -> int:
            if x in seen:
                raise ValueError(f"recipe cycle through {x}")
            if x not in depth:
                depth[x] = 1 + max((d(c, seen + (x,)) for c in consumers[x]), default=-1)
            return depth[x]

        names = [i.name for i in self.cat.items if not self.supply_driven(i.name)]
        for n in names:
            d(n)
        return sorted(names, key=lambda n: (depth[n], names.index(n)))

    def orders_on_dates(self, s) -> pd.DataFrame:
        it = self.items[s.item]
        days = np.sort(self.rng.integers(10, 358, s.orders))
        qty = flow.draw_sizes(self.rng, s.orders, *s.size)
        cust = self.pick_customers(s, s.orders)
        return pd.DataFrame({"day": days, "qty": qty, "unit": it.unit, "kg": qty * self.kgp(it.unit, s.item),
                             "kind": "shipped", "customer": cust, "location": PLANT})

    def pick_customers(self, s, n: int) -> np.ndarray:
        names = np.array([c for c, _ in s.customers], dtype=object)
        w = np.array([w for _, w in s.customers], dtype=float)
        return names[self.rng.choice(len(names), size=n, p=w / w.sum())]

    # -- one item (and owner) planned to demand: lots arrive ahead of use
    def supply_pool(self, item: str, owner) -> None:
        frames = self.demand.get((item, owner))
        if not frames:
            return
        dem = pd.concat(frames, ignore_index=True).sort_values(["day", "line"], kind="stable").reset_index(drop=True)
        total = float(dem["kg"].sum())
        if total <= 0:
            return
        proc = self.maker.get(item)
        srcs = [s for s in self.cat.sources if s.item == item and s.owner == owner]
        if proc is None and srcs and all(s.per_line for s in srcs):
            self.receipts_per_line(item, owner, srcs, dem)
            return
        if proc is not None:
            lots = self.plan_runs(proc, dem, total)
        else:
            lots = self.plan_receipts(item, owner, dem, total)
        self.allocate(item, owner, dem, lots)

    def schedule(self, dem: pd.DataFrame, lot_kg: np.ndarray, lead: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Days lots must arrive by (and how many are needed) for demand in date order."""
        u_cum = np.cumsum(dem["kg"].to_numpy())
        s_cum = np.cumsum(lot_kg)
        points = np.r_[0.0, s_cum[:-1] - REFILL_AT * lot_kg[:-1]]
        pos = flow.first_needed(u_cum, points)
        n = int(np.searchsorted(pos, len(u_cum)))  # lots whose point is reached
        pos = pos[:n]
        days = dem["day"].to_numpy()[pos] - self.rng.integers(lead[0], lead[1] + 1, n)
        days = np.maximum.accumulate(np.maximum(days, 0))
        return days, n

    def plan_runs(self, proc: Process, dem: pd.DataFrame, total: float) -> pd.DataFrame:
        out_item = self.items[proc.output]
        f = self.kgp(out_item.unit, proc.output)
        if proc.lots_per_year:
            mean = total / proc.lots_per_year / f
            step = max(1.0, 10 ** np.floor(np.log10(max(mean, 1.0)) - 1))
            lo, hi = mean * .8, mean * 1.2
        else:
            lo, hi, step = proc.run_size
        n_max = int(total / f / max(lo, step)) + 3
        size = flow.draw_sizes(self.rng, n_max, max(lo, step), max(hi, step), step)
        days, n = self.schedule(dem, size * f, proc.lead)
        out = self.add_runs(proc, days, size[:n], self.yields(proc, days))
        return out[out["item"] == proc.output].reset_index(drop=True)

    def plan_receipts(self, item: str, owner, dem: pd.DataFrame, total: float) -> pd.DataFrame:
        srcs = [s for s in self.cat.sources if s.item == item and s.owner == owner]
        if not srcs:
            raise ValueError(f"no source for {item} (owner {owner})")
        rng = self.rng
        w = np.array([s.weight for s in srcs], dtype=float)
        same_unit = len({s.unit for s in srcs}) == 1
        # sources differing in unit are picked per lot up front; same-unit ones by date
        n_max = 3
        while True:
            pick = rng.choice(len(srcs), size=n_max, p=w / w.sum()) if not same_unit else np.zeros(n_max, int)
            qty, kg = self.lot_sizes(srcs, pick, total, item)
            if kg.sum() >= total * 1.0 + kg.max():
                break
            n_max *= 2
        days, n = self.schedule(dem, kg, (2, 14))
        pick, qty, kg = pick[:n], qty[:n], kg[:n]
        if same_unit and len(srcs) > 1:
            pick = self.pick_by_date(srcs, w, days)
        s_arr = [srcs[k] for k in pick]
        lots = pd.DataFrame({
            "item": item, "qty": qty, "unit": [s.unit for s in s_arr], "kg": kg, "day": days,
            "owner": owner, "location": PLANT, "origin": "receipt",
            "supplier": [s.supplier for s in s_arr], "certificate": [s.certificate for s in s_arr],
            "lot_prefix": [s.lot_prefix for s in s_arr], "lot_id": self.new_lot_ids(n)})
        self.lots.append(lots)
        return lots

    def receipts_per_line(self, item: str, owner, srcs, dem: pd.DataFrame) -> None:
        """One lot per demand line, a little over its quantity (the remnant stays on hand, so a
        count's small error never leaves a book short), received a few days ahead."""
        if any(s.unit != u for s in srcs for u in dem["unit"].unique()):
            raise ValueError(f"per-line receipts of {item} need the sources' unit on every demand line")
        n = len(dem)
        days = np.maximum(dem["day"].to_numpy() - self.rng.integers(1, 8, n), 0)
        days = np.maximum.accumulate(days)
        f = self.kgp(srcs[0].unit, item)
        d = flow.decimals(srcs[0].unit)
        qty = np.round(np.ceil(dem["qty"].to_numpy() * (1 + self.rng.uniform(.01, .03, n)) * 10.0 ** d)
                       / 10.0 ** d, d)
        s_arr = [srcs[k] for k in self.rng.integers(0, len(srcs), n)]
        ids = self.new_lot_ids(n)
        self.lots.append(pd.DataFrame({
            "item": item, "qty": qty, "unit": srcs[0].unit, "kg": qty * f,
            "day": days, "owner": owner, "location": PLANT, "origin": "receipt",
            "supplier": [s.supplier for s in s_arr], "certificate": [s.certificate for s in s_arr],
            "lot_prefix": [s.lot_prefix for s in s_arr], "lot_id": ids}))
        self.pieces.append(dem.assign(lot_id=ids, lot_day=days))

    def lot_sizes(self, srcs, pick, total: float, item: str) -> tuple[np.ndarray, np.ndarray]:
        qty = np.zeros(len(pick))
        kg = np.zeros(len(pick))
        for k, s in enumerate(srcs):
            m = pick == k
            if not m.any():
                continue
            f = self.kgp(s.unit, item)
            if s.lot is None:
                mean = total / max(1, s.lots_per_year) / f
                step = max(1.0, 10 ** np.floor(np.log10(max(mean, 1.0)) - 1))
                lo, hi = mean * .75, mean * 1.25
            else:
                lo, hi, step = s.lot
            q = flow.draw_sizes(self.rng, int(m.sum()), max(lo, step), max(hi, step), step)
            qty[m], kg[m] = q, q * f
        return qty, kg

    def pick_by_date(self, srcs, w: np.ndarray, days: np.ndarray) -> np.ndarray:
        """For each lot, a supplier active on its day (windows of certificates in force)."""
        active = np.array([[s.first_day <= d <= s.last_day for s in srcs] for d in np.unique(days)])
        probs = active * w
        probs = probs / probs.sum(axis=1, keepdims=True)
        uniq, inv = np.unique(days, return_inverse=True)
        r = self.rng.random(len(days))[:, None]
        return (r > np.cumsum(probs[inv], axis=1)).sum(axis=1)

    def allocate(self, item: str, owner, dem: pd.DataFrame, lots: pd.DataFrame) -> None:
        """Cut the demand lines into lot pieces, first in first out."""
        lots = lots.reset_index(drop=True)
        lot_ids = lots["lot_id"].to_numpy()
        seg = flow.fifo(lots["kg"].to_numpy(), dem["kg"].to_numpy())
        if seg["line"].max() != len(dem) - 1 or abs(seg["qty"].sum() - dem["kg"].sum()) > 1e-6 * dem["kg"].sum():
            raise AssertionError(f"supply of {item} does not cover its demand")
        kgp = dem["unit"].map({u: self.kgp(u, item) for u in dem["unit"].unique()}).to_numpy(dtype=float)
        dec = dem["unit"].map({u: flow.decimals(u) for u in dem["unit"].unique()}).to_numpy()
        qty = flow.written_parts(seg, dem["qty"].to_numpy(dtype=float), kgp, dec, lots["kg"].to_numpy())
        piece = dem.iloc[seg["line"].to_numpy()].reset_index(drop=True)
        piece = piece.assign(qty=qty, kg=qty * kgp[seg["line"].to_numpy()],
                             lot_id=lot_ids[seg["lot"].to_numpy()],
                             lot_day=lots["day"].to_numpy()[seg["lot"].to_numpy()])
        self.pieces.append(piece[piece["qty"] > 0])

    # -- scheduled products ship after they are made
    def ship_made_products(self, all_lots: pd.DataFrame) -> None:
        key = all_lots["item"].astype(object) + "\x1f" + all_lots["owner"].astype(object).fillna("")
        groups = pd.Series(np.arange(len(all_lots))).groupby(key.to_numpy()).indices
        for (item, owner), s in self.sales.items():
            pos = groups.get(f"{item}\x1f{owner or ''}")
            if not self.supply_driven(item) or pos is None:
                continue
            lots = all_lots.iloc[pos].sort_values(["day", "lot_id"]).reset_index(drop=True)
            self.ship_from_lots(item, owner, s, lots)

    def ship_from_lots(self, item: str, owner, s, lots: pd.DataFrame) -> None:
        rng = self.rng
        it = self.items[item]
        total = float(lots["qty"].sum())
        mean = (s.size[0] + s.size[1]) / 2
        n = int(total * s.share / mean) + 2
        qty = flow.draw_sizes(rng, n, *s.size)
        kind = np.full(n, "shipped", dtype=object)
        cust = self.pick_customers(s, n)
        reason = np.full(n, None, dtype=object)
        evidence = np.full(n, None, dtype=object)
        extra = []
        if s.samples:
            who, size, k = s.samples
            extra.append(pd.DataFrame({"qty": flow.draw_sizes(rng, k, *size), "kind": "shipped",
                                       "customer": who, "sample": True}))
        for ls in self.cat.losses:
            if ls.item == item:
                extra.append(pd.DataFrame({"qty": flow.draw_sizes(rng, ls.n, *ls.size), "kind": "loss",
                                           "customer": None, "reason": ls.reason, "evidence": ls.evidence,
                                           "sample": False}))
        orders = pd.DataFrame({"qty": qty, "kind": kind, "customer": cust, "reason": reason,
                               "evidence": evidence, "sample": False})
        if extra:
            ex = pd.concat(extra, ignore_index=True)
            where = rng.integers(0, len(orders), len(ex))
            orders = pd.concat([orders.assign(_o=np.arange(len(orders)) + .0),
                                ex.assign(_o=where + rng.random(len(ex)))]).sort_values("_o", kind="stable")
            orders = orders.drop(columns="_o").reset_index(drop=True)
        seg = flow.fifo(lots["qty"].to_numpy(), orders["qty"].to_numpy())
        # an order ships once the next lot is made: the newest lot always stays on hand
        last_lot = seg.groupby("line")["lot"].max()
        full = seg.groupby("line")["qty"].sum().reindex(range(len(orders)), fill_value=0.0) >= orders["qty"] - 1e-9
        nxt = last_lot + 1
        ok = (nxt < len(lots)) & full.reindex(last_lot.index).to_numpy()
        lag = rng.integers(s.lag[0], s.lag[1] + 1, len(last_lot))
        ship_day = pd.Series(np.where(ok, lots["day"].to_numpy()[np.minimum(nxt, len(lots) - 1)] + lag, 10 ** 6),
                             index=last_lot.index)
        ship_day = ship_day[ship_day <= LAST_DAY]
        seg = seg[seg["line"].isin(ship_day.index)]
        o = orders.iloc[seg["line"].to_numpy()].reset_index(drop=True)
        f = self.kgp(it.unit, item)
        loc = self.maker[item].location if item in self.maker else self.co_maker[item].location
        piece = o.assign(qty=seg["qty"].to_numpy(), unit=it.unit, kg=seg["qty"].to_numpy() * f,
                         day=ship_day.reindex(seg["line"].to_numpy()).to_numpy(),
                         lot_id=lots["lot_id"].to_numpy()[seg["lot"].to_numpy()],
                         lot_day=lots["day"].to_numpy()[seg["lot"].to_numpy()],
                         line=self.n_lines + seg["line"].to_numpy(), item=item, owner=owner, location=loc,
                         run=-1)
        self.n_lines += len(orders)
        self.pieces.append(piece)

    def finish(self) -> World:
        return World(self.cat, pd.concat(self.lots, ignore_index=True), pd.concat(self.runs, ignore_index=True),
                     pd.concat(self.pieces, ignore_index=True))


def simulate(cat: Catalog, rng: np.random.Generator) -> World:
    return _Sim(cat, rng).run()
