"""Lot genealogy: which organic ingredients each lot holds, through every level of runs.

Each kilogram of a run's output holds the run's inputs in proportion to their mass
(CONTRACT section 2), so a lot's composition is a set of fractions, one per organic
ingredient (a 'base': an organic lot that was received, or established by an opening
count). Conventional input adds mass but no organic ingredient. Runs are processed level
by level (a run comes after every run that made its input lots), each level in one
vectorised step; a run that can never be placed sits in a cycle of lot links.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import findings as F
from .frames import KeyRuns, columns_at, inner_merge, lot_codes, lot_pairs
from .load import Book
from .roll import day_codes, day_sums, signs

LOT = ["item_key", "lot_key"]
MAX_LEVELS = 64  # deeper than any real bill of materials; beyond it we call it a cycle


@dataclass(frozen=True)
class Genealogy:
    lot_comp: pd.DataFrame  # item_key, lot_key, ingredient_key, frac
    item_comp: pd.DataFrame  # item_key, ingredient_key, frac (mass-weighted over its lots)
    batch_comp: pd.DataFrame  # batch_key, ingredient_key, frac (per unit of run input)
    batch_level: pd.Series  # by batch_key; -1 for runs caught in a cycle
    cycle_batches: frozenset


def _weighted(rows: pd.DataFrame, by: list[str], weight_total: pd.Series) -> pd.DataFrame:
    """sum(w * frac) / sum(w) per group and ingredient; weight_total: the groups' total
    weight, indexed by `by` (one column: a look-up, not a merge)."""
    if len(by) == 1:
        coded = _weighted_one(rows, by[0], weight_total)
        if coded is not None:
            return coded
    num = rows.groupby(by + ["ingredient_key"], sort=False)["w"].sum().reset_index()
    total = weight_total.reindex(num[by[0]].to_numpy()).to_numpy() if len(by) == 1 else \
        num[by].merge(weight_total.rename("total").reset_index(), on=by, how="left")["total"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):  # a lot of total 0 is NaN, as pandas divides
        num["frac"] = num["w"].to_numpy() / total
    return num[by + ["ingredient_key", "frac"]]


def _weighted_one(rows: pd.DataFrame, by: str, weight_total: pd.Series) -> pd.DataFrame | None:
    """_weighted by one integer column, its group and the ingredient as one int64 (their
    offsets): the same groups in the same order (first appearance), each summed over the
    same rows in the same order, so the same sums, without pandas combining two columns
    of 300k rows. None where the keys are not int64 or their range does not fit."""
    k, g = rows[by].to_numpy(), rows["ingredient_key"].to_numpy()
    if not len(k) or k.dtype != np.int64 or g.dtype != np.int64:
        return None
    klo, glo = int(k.min()), int(g.min())
    width = int(g.max()) - glo + 1
    if (int(k.max()) - klo + 1) * width >= 2 ** 62:
        return None
    s = pd.Series(rows["w"].to_numpy(), copy=False).groupby((k - klo) * width + (g - glo), sort=False).sum()
    code = s.index.to_numpy()
    key = code // width + klo
    with np.errstate(divide="ignore", invalid="ignore"):  # as _weighted divides
        frac = s.to_numpy() / weight_total.reindex(key).to_numpy()
    return pd.DataFrame({by: key, "ingredient_key": code % width + glo, "frac": frac})


def _decoded(comp: pd.DataFrame, lots) -> pd.DataFrame:
    """A composition keyed by the lot code `_lk` as item_key, lot_key; lots: the frame and
    codes the lots are looked up in (frames.lot_pairs)."""
    item, lot = lot_pairs(comp["_lk"].to_numpy(), *lots)
    return pd.DataFrame({"item_key": item, "lot_key": lot,
                         **{c: comp[c].to_numpy() for c in comp.columns if c != "_lk"}})


def batch_levels(used: pd.DataFrame, produced: pd.DataFrame) -> tuple[pd.Series, frozenset]:
    """Level of each run: 0 if none of its inputs was made by a run, else 1 + max(maker)."""
    batches = pd.Index(pd.unique(pd.concat([used["batch_key"], produced["batch_key"]])))
    level = pd.Series(0, index=batches, dtype=np.int64)
    on = ["_lk"] if "_lk" in used and "_lk" in produced else LOT  # the lot as one integer where given
    made = produced[["batch_key"] + on].rename(columns={"batch_key": "maker"})
    edges = (inner_merge(used[["batch_key"] + on], made, on[0]) if len(on) == 1
             else used[["batch_key"] + on].merge(made, on=on))[["batch_key", "maker"]]
    edges = edges.drop_duplicates()
    if edges.empty:
        return level, frozenset()
    for _ in range(MAX_LEVELS):
        want = (level.reindex(edges["maker"]).to_numpy() + 1)
        need = pd.Series(want, index=edges["batch_key"].to_numpy()).groupby(level=0).max()
        new = level.copy()
        upd = need.reindex(level.index).fillna(0).astype(np.int64)
        new = np.maximum(new, upd)
        if (new == level).all():
            return level, frozenset()
        level = new
    # still rising: these runs feed on themselves through a loop of lot links
    cyc = level[level >= MAX_LEVELS - 2].index
    level[cyc] = -1
    return level, frozenset(cyc)


def build_genealogy(book: Book, ledger: pd.DataFrame, fixed: pd.DataFrame | None = None) -> tuple[Genealogy, pd.DataFrame]:
    """`fixed`: lot_comp rows of lots whose make-up is given, not built here (the
    investigations rebuild only the runs downstream of a corrected one)."""
    items = book.items
    # only the columns genealogy needs: every column kept is copied at each filter and merge;
    # lots are grouped and joined on one integer, `_lk` (frames.lot_codes): same groups,
    # same order, same sums as on (item_key, lot_key)
    kind = ledger["kind"]
    if fixed is None:
        lk = lot_codes(ledger)[0]
        lots = (ledger, lk)  # where a lot code is turned back into its item and lot
    else:  # the given lots coded with the ledger's (one call: widened keys are coded jointly)
        lk, fixed_lk = lot_codes(ledger, fixed)
        lots = (pd.concat([ledger[LOT], fixed[LOT]], ignore_index=True), np.concatenate([lk, fixed_lk]))
    sel = LOT + ["batch_key", "qty"]

    def rows(mask, cols):
        return ledger.loc[mask, cols].assign(_lk=lk[mask])
    # a farm's harvest lots are sources like received lots (organic or not, by field)
    rec = rows(kind.isin(("receipt", "harvested")).to_numpy(), LOT + ["qty", "organic"])
    used = rows((kind == "used").to_numpy(), sel)
    produced = rows((kind == "produced").to_numpy(), sel)
    counts = rows((kind == "count").to_numpy(), LOT + ["date", "qty"])

    # bases: received lots, and counted lots nobody received or made (opening stock)
    base = rec[LOT + ["_lk", "qty", "organic"]].copy()
    c = counts[counts["lot_key"] != 0]
    seen = c["_lk"].isin(np.concatenate([produced["_lk"].to_numpy(), rec["_lk"].to_numpy()])).to_numpy()
    opening = _opening_stock(c[~seen])
    op = opening[LOT + ["_lk", "qty"]].assign(
        organic=opening["item_key"].map(items["organic"]).fillna(True).astype(bool))
    base = pd.concat([base, op], ignore_index=True)
    made = produced
    if fixed is not None:
        base = base[~base["_lk"].isin(fixed_lk)].copy()
        made = produced[~produced["_lk"].isin(fixed_lk)]
    base["w"] = base["qty"].where(base["organic"].astype(bool), 0.0)
    base["ingredient_key"] = base["item_key"]
    # a lot's fractions are of everything that came into it: received, opened by a count,
    # and made by every run (runs that may sit at different levels)
    lot_tot = pd.concat([base[["_lk", "qty"]], produced[["_lk", "qty"]]], ignore_index=True).groupby(
        "_lk", sort=False)["qty"].sum()
    # conventional lots keep a row of weight 0: known, and holding no organic ingredient
    lot_comp = _weighted(base, ["_lk"], lot_tot)
    if fixed is not None:
        lot_comp = pd.concat([pd.DataFrame({"_lk": fixed_lk, "ingredient_key": fixed["ingredient_key"].to_numpy(),
                                            "frac": fixed["frac"].to_numpy()}), lot_comp], ignore_index=True)

    level, cycle = batch_levels(used, produced)
    batch_comp_parts = []
    for lvl in range(0, int(level.max()) + 1 if len(level) else 0):
        in_level = level.index[level == lvl]
        u = used[used["batch_key"].isin(in_level)]
        if u.empty:
            continue
        comp = _input_comp(u, lot_comp, items, lots)
        tot = u.groupby("batch_key", sort=False)["qty"].sum()
        bc = _weighted(comp, ["batch_key"], tot)
        batch_comp_parts.append(bc)
        # every output lot of these runs takes the run's composition (mass-weighted if a
        # lot was made by several runs)
        p = made[made["batch_key"].isin(in_level)]
        pc = inner_merge(p[["_lk", "batch_key", "qty"]], bc, "batch_key")
        pc["w"] = pc["qty"] * pc["frac"]
        lot_comp = _add_comp(lot_comp, _weighted(pc, ["_lk"], lot_tot))
    batch_comp = (pd.concat(batch_comp_parts, ignore_index=True) if batch_comp_parts
                  else pd.DataFrame(columns=["batch_key", "ingredient_key", "frac"]))
    item_comp = _item_comp(lot_comp, rec, produced, opening, lots)
    out = _cycle_findings(book, ledger, cycle)
    return Genealogy(_decoded(lot_comp, lots), item_comp, batch_comp, level, cycle), out


def _add_comp(lot_comp: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """concat([lot_comp, new]).groupby([_lk, ingredient_key], sort=False)["frac"].sum(),
    the same rows in the same order with the same sums, but summing only the lots `new`
    touches (a level's runs make few of the 400k lots). Both frames have one row per
    (lot, ingredient), so a group is one value (kept as it is) or two (summed as the group
    sum does); where new touches no lot of lot_comp, every group is one value. Where a
    fraction is NaN or -0.0, what the group sum makes of it depends on the whole column,
    so then the whole column is summed as before."""
    def plain(f: np.ndarray) -> bool:
        return not (np.isnan(f).any() or (np.signbit(f) & (f == 0)).any())
    frac = lot_comp["frac"].to_numpy(dtype=float)
    if lot_comp.empty or new.empty or not (plain(frac) and plain(new["frac"].to_numpy(dtype=float))):
        return pd.concat([lot_comp, new], ignore_index=True).groupby(
            ["_lk", "ingredient_key"], sort=False)["frac"].sum().reset_index()
    hit = lot_comp["_lk"].isin(new["_lk"].to_numpy()).to_numpy()
    if not hit.any():  # (a book's usual case: a lot made at one level only) every group is
        # one row, its sum that one plain value, in the order of the concatenation
        return pd.concat([lot_comp, new], ignore_index=True)
    summed = pd.concat([lot_comp[hit], new], ignore_index=True).groupby(
        ["_lk", "ingredient_key"], sort=False)["frac"].sum().reset_index()
    frac = frac.copy()
    n_hit = int(hit.sum())
    frac[hit] = summed["frac"].to_numpy()[:n_hit]  # groups of lot_comp's rows come first, in its order
    kept = pd.DataFrame({"_lk": lot_comp["_lk"].to_numpy(), "ingredient_key": lot_comp["ingredient_key"].to_numpy(),
                         "frac": frac})
    return pd.concat([kept, summed.iloc[n_hit:]], ignore_index=True)


def _input_comp(u: pd.DataFrame, lot_comp: pd.DataFrame, items: pd.DataFrame, lots) -> pd.DataFrame:
    """Ingredient weight of each run input: from its lot, else from its item's lots, else
    (an organic ingredient nobody recorded a lot of) the item itself. lot_comp is keyed
    by `_lk`, as u is."""
    u = u.reset_index(drop=True).assign(_i=lambda d: d.index)
    known = inner_merge(u, lot_comp, "_lk")
    missing = u[~u["_i"].isin(known["_i"])]
    parts = [known]
    if len(missing):
        lc = _decoded(lot_comp, lots)
        icomp = lc.merge(lc.groupby("item_key")["lot_key"].nunique().rename("n").reset_index(),
                         on="item_key")
        icomp = icomp.groupby(["item_key", "ingredient_key"], sort=False)["frac"].sum().reset_index().merge(
            icomp.groupby("item_key")["n"].first().reset_index(), on="item_key")
        icomp["frac"] = icomp["frac"] / icomp["n"]
        fb = missing.merge(icomp[["item_key", "ingredient_key", "frac"]], on="item_key")
        parts.append(fb)
        rest = missing[~missing["_i"].isin(fb["_i"])]
        organic = rest["item_key"].map(items["organic"]).fillna(True).astype(bool)
        rest = rest[organic.to_numpy()]
        parts.append(rest.assign(ingredient_key=rest["item_key"], frac=1.0))
    comp = pd.concat(parts, ignore_index=True)
    comp["w"] = comp["qty"] * comp["frac"]
    return comp


def _opening_stock(counts: pd.DataFrame) -> pd.DataFrame:
    """One row a counted lot (of counts nobody received or made): the lot as it was first
    counted, its qty the sum of that day's counts of it (one a location), as the balances
    and the lot checks read a day's counts. Rows in the order of a sort by date."""
    first = counts.sort_values("date").drop_duplicates("_lk")
    if len(first) == len(counts):  # each lot counted once: nothing to add up
        return first
    day = counts.groupby(["_lk", "date"], sort=False)["qty"].sum()
    return first.assign(qty=day.reindex(pd.MultiIndex.from_arrays([first["_lk"], first["date"]])).to_numpy())


def _item_comp(lot_comp, rec, produced, opening, lots) -> pd.DataFrame:
    """An item's average composition, weighted by how much of each lot came into being."""
    made = pd.concat([rec[["_lk", "qty"]], produced[["_lk", "qty"]], opening[["_lk", "qty"]]], ignore_index=True)
    made = made.groupby("_lk", sort=False)["qty"].sum().reset_index()
    made["item_key"] = lot_pairs(made["_lk"].to_numpy(), *lots)[0]
    w = inner_merge(made, lot_comp, "_lk")
    w["w"] = w["qty"] * w["frac"]
    tot = made.groupby("item_key", sort=False)["qty"].sum()
    return _weighted(w, ["item_key"], tot)


def _cycle_findings(book: Book, ledger: pd.DataFrame, cycle: frozenset) -> pd.DataFrame:
    if not cycle:
        return F.empty()
    u = ledger[(ledger["kind"] == "used") & ledger["batch_key"].isin(cycle)]
    made = ledger.loc[(ledger["kind"] == "produced").to_numpy(), LOT + ["batch_key"]].rename(columns={"batch_key": "maker"})
    edges = u[["batch_key"] + LOT].merge(made, on=LOT)
    core = _on_a_circle(edges[["batch_key", "maker"]].drop_duplicates(), cycle)
    # only the inputs that close the circle: a lot made by a run on it. A received lot the
    # run also used is innocent and is not blamed.
    culprit = edges[edges["batch_key"].isin(core) & edges["maker"].isin(core)][LOT + ["batch_key"]].drop_duplicates()
    u = u.merge(culprit.assign(_c=True), on=LOT + ["batch_key"], how="left")
    u = u[u["_c"].fillna(False).astype(bool).to_numpy()]
    msgs = ("Batch " + u["batch"].astype(str) + " uses lot " + u["lot"].astype(str) + " of " +
            u["item"].astype(str) + ", which is made (directly or through other runs) from this batch's own "
            "output. Lot links cannot go round in a circle; check the lot numbers of this run's inputs.")
    return F.make("error", "LOT_CYCLE", book.sheets["BatchInputs"], u["row"].to_numpy(), "Lot",
                  book.letter("BatchInputs", "Lot"), msgs)


def _on_a_circle(edges: pd.DataFrame, runs: frozenset) -> set:
    """Runs that lie on a circle of lot links: the cycle set of batch_levels (runs whose
    level kept rising, downstream ones included) without those that feed nothing in the
    set or are fed by nothing in it, pruned until none is left to prune."""
    core = set(runs)
    while True:
        e = edges[edges["batch_key"].isin(core) & edges["maker"].isin(core)]
        keep = set(e["batch_key"]) & set(e["maker"])
        if keep == core:
            return core
        core = keep


def equivalents(ledger: pd.DataFrame, gen: Genealogy, kinds: tuple[str, ...]) -> pd.DataFrame:
    """Ingredient equivalents of ledger rows: one row per (ledger row, ingredient).

    A row with a known lot holds what that lot holds. A row without one (a count or a
    loss of the item as a whole, or a lot nobody recorded) holds what the item's stock
    held at that moment: the make-up of its book stock of that owner on that day. Only
    when there is no such stock does it fall back to the item's average make-up.
    """
    pos = np.flatnonzero(ledger["kind"].isin(kinds).to_numpy())
    lc = gen.lot_comp  # joined on the lot as one integer (frames.lot_codes): the same rows, in the same order
    lk_rows, lk_comp = lot_codes(ledger, lc)
    at, n = KeyRuns(lk_comp).matches(lk_rows[pos])
    # each column taken from the ledger once, at the rows' positions repeated per ingredient
    # of their lot, and the frame made once (not the rows copied, taken, then extended)
    known = _ledger_rows(ledger, np.repeat(pos, n))
    known["ingredient_key"] = lc["ingredient_key"].to_numpy()[at]
    frac = lc["frac"].to_numpy()[at]
    rest = n == 0
    if not rest.any():
        return pd.DataFrame(known | {"value": known["qty"] * frac}, copy=False)
    rest = pd.DataFrame(_ledger_rows(ledger, pos[rest]), copy=False)
    on_hand, left = _stock_makeup(rest, known, frac)
    # each part valued apart (qty x frac, row by row: the same values) and joined once
    parts = [pd.DataFrame(known | {"value": known["qty"] * frac}, copy=False),
             *(_valued(p) for p in (on_hand, left.merge(gen.item_comp, on="item_key")))]
    return pd.concat(parts, ignore_index=True)


def _valued(part: pd.DataFrame) -> pd.DataFrame:
    return part.assign(value=part["qty"] * part["frac"]).drop(columns=["frac"])


def _ledger_rows(ledger: pd.DataFrame, at: np.ndarray) -> dict:
    """The columns of the ledger rows at positions `at` that equivalents are made of; `_i`:
    each row's ledger index."""
    # numpy columns as numpy arrays (cheaper to filter again), others (the kind) as they are
    return {"_i": ledger.index.to_numpy()[at],
            **columns_at(ledger, at, ("date", "kind", "item_key", "lot_key", "owner_key", "qty"))}


def _stock_makeup(rest: pd.DataFrame, known: dict, frac: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of `rest` with the ingredient fractions of their item's book stock on their
    date (rows of item and owner with no stock then are returned apart). known: the columns
    of the rows with a known lot, one row per ingredient (frac: its fraction)."""
    from .frames import asof_merge, key_codes
    from .roll import EPS
    io = ["item_key", "owner_key"]
    sign = signs(pd.Series(known["kind"], copy=False))
    f = ~np.isnan(sign)  # the stock movements (a kind SIGN has), not the counts
    f = slice(None) if f.all() else f  # every row moves stock (counts by lot are few): views, not copies
    flows = pd.DataFrame({c: known[c][f] for c in ("_i", "date", "item_key", "owner_key", "ingredient_key", "qty")}
                         | {"frac": frac[f]}, copy=False)
    sign = sign[f]
    # (ingredient, item, owner) and (item, owner) as one integer each, in their sorted order
    # (key_codes): the same groups in the same order as on the columns, cheaper
    io_flows, io_rest = key_codes([flows, rest], io)
    c = key_codes([flows], ["ingredient_key"] + io)[0]
    dates, qty = flows["date"].to_numpy(), flows["qty"].to_numpy()
    days = day_codes(dates)  # coded once for both running totals
    cum_eq = _cumulated(c, dates, qty * flows["frac"].to_numpy() * sign, "_c", "E", days)
    # a ledger row's ingredients are adjacent in `known` (the join keeps each row's together)
    i = flows["_i"].to_numpy()
    first = np.r_[True, i[1:] != i[:-1]] if len(i) else np.zeros(0, dtype=bool)
    cum_q = _cumulated(io_flows[first], dates[first], qty[first] * sign[first], "_io", "Q",
                       None if days is None else (days[0][first], days[1]))
    held = asof_merge(rest[["_i", "date"]].assign(_io=io_rest), cum_q.rename(columns={"date": "qd"}),
                      left_on="date", right_on="qd", by=["_io"])
    has = (held["Q"] > EPS).to_numpy()
    stocked, left = rest[has], rest[~has]
    # each stocked row against every ingredient its item and owner ever held (in sorted order)
    one = ~pd.Series(c).duplicated().to_numpy()
    held_by = pd.DataFrame({"_c": c[one], "_io": io_flows[one], "ingredient_key": flows["ingredient_key"].to_numpy()[one]}
                           ).sort_values("_c")
    pairs = stocked.assign(_io=io_rest[has]).merge(held_by, on="_io")
    pairs = asof_merge(pairs, cum_eq.rename(columns={"date": "ed"}), left_on="date", right_on="ed", by=["_c"])
    pairs = pairs.merge(held.loc[has, ["_i", "Q"]], on="_i")
    pairs["frac"] = (pairs["E"].fillna(0.0) / pairs["Q"]).clip(lower=0.0, upper=1.0)
    return pairs[list(rest.columns) + ["ingredient_key", "frac"]], left


def _cumulated(code: np.ndarray, dates: np.ndarray, v: np.ndarray, key: str, name: str,
               days: tuple | None = None) -> pd.DataFrame:
    """key, date, name: per code the running total of v to the end of each day it moved
    (groupby([key, date]).sum() then a cumsum per key, the day sums on one integer);
    days: as day_sums takes them."""
    daily = day_sums(code, dates, v, days)
    if daily is None:
        frame = pd.DataFrame({key: code, "date": dates, "v": v})
        return frame.groupby([key, "date"], sort=True)["v"].sum().groupby(key, sort=False).cumsum() \
            .rename(name).reset_index()
    daily = daily.rename(columns={"code": key})
    return daily.assign(value=daily.groupby(key, sort=False)["value"].cumsum()).rename(columns={"value": name})
