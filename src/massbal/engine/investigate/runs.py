"""A run's correction in the supply explainer (a BatchInputs or Batches quantity),
recomputed on what it touches rather than on its ingredient's whole scope.

Correcting run B changes B's process loss, the make-up of the lots B made, of every run
that used one of them and of the lots those made, and so on downstream (the runs R and
their lots A); and the stock of the corrected row's item and of the items of A (the
items I). Nothing upstream of B changes. So a corrected copy holds every row of the items
I and every row of the runs R; build_genealogy rebuilds the runs R from the make-up the
book's genealogy gave every other lot (its `fixed`), and the figure is the book's terms
plus that copy's part, less the same rows as they are (copies.figures_after).

A correction is left to the whole-scope path when that would not be the same arithmetic:
lots made by more than one run, a run input whose lot the genealogy does not know (its
make-up then comes from its item's other lots), or a book with a cycle of lot links.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.frames import distinct_positions, lot_codes
from massbal.engine.genealogy import LOT, Genealogy, build_genealogy
from massbal.engine.load import Book

from . import copies as C
from . import touches as T

PLACEHOLDER = -1  # the ingredient of a known lot holding none of the one asked about


def run_facts(ledger: pd.DataFrame, gen: Genealogy, batch_rows: dict, item_rows: dict) -> dict:
    """What touched's walks and _unknown read: who made and who used each lot (a lot as one
    integer, item x m + lot), looked up for the runs and lots a walk reaches only, from their
    own rows (batch_rows, item_rows: the ledger's positions by run and by item), not indexed
    over every run of the book (a sort of half a million run rows for a dozen flagged
    figures at 1M: most of this step's 30 ms)."""
    kind = ledger["kind"]  # categorical: compared per category, not as a million texts
    # the ledger's columns as they are (no copy)
    cols = {k: ledger[k].to_numpy() for k in ("batch_key", "item_key", "lot_key")}
    # any m above every lot code codes the same lots (item x m + lot)
    m = int(max(cols["lot_key"].max() if len(ledger) else 0, gen.lot_comp["lot_key"].max() if len(gen.lot_comp) else 0,
                0)) + 1
    return {"m": m, "is_used": (kind == "used").to_numpy(), "is_made": (kind == "produced").to_numpy(), "cols": cols,
            "lot_comp": gen.lot_comp, "cyclic": bool(gen.cycle_batches), "batch_rows": batch_rows,
            "item_rows": item_rows, "items": {}}


def _made_by(facts: dict, run: int) -> np.ndarray:
    """The lots (codes) run `run` made, from its own rows."""
    if run not in facts["batch_rows"]:
        return np.zeros(0, dtype=np.int64)
    pos = facts["batch_rows"][run]
    pos = pos[facts["is_made"][pos]]
    cols = facts["cols"]
    return cols["item_key"][pos].astype(np.int64) * facts["m"] + cols["lot_key"][pos].astype(np.int64)


def _lots_of(facts: dict, item: int) -> tuple[tuple[np.ndarray, np.ndarray], set]:
    """An item's lots: the runs that used each (lot -> runs, grouped), and those made by more
    than one run; from the item's own rows, once per item a walk reaches."""
    got = facts["items"].get(item)
    if got is None:
        pos = facts["item_rows"][item] if item in facts["item_rows"] else np.zeros(0, dtype=np.intp)
        lot = facts["cols"]["lot_key"][pos].astype(np.int64)
        run = facts["cols"]["batch_key"][pos].astype(np.int64)
        used, made = facts["is_used"][pos], facts["is_made"][pos]
        # distinct (lot, run) pairs of its outputs, counted per lot
        pairs = np.unique(np.stack([lot[made], run[made]]), axis=1)
        lots, n_runs = np.unique(pairs[0], return_counts=True)
        got = facts["items"][item] = (_grouped(lot[used], run[used]), set(lots[n_runs > 1].tolist()))
    return got


def _unknown(facts: dict, runs: set) -> set:
    """The runs among `runs` with a run input whose lot the genealogy does not know (its
    make-up then comes from its item's other lots): their own input rows looked up among
    their items' lots of the genealogy only, not every run input of the book among all of
    its lots (the same answer for each run: a lot is known or not whatever else is asked)."""
    if not runs:
        return set()
    pos = np.concatenate([facts["batch_rows"][b] for b in sorted(runs)])
    pos = pos[facts["is_used"][pos]]
    m, cols, comp = facts["m"], facts["cols"], facts["lot_comp"]
    item = cols["item_key"][pos].astype(np.int64)
    comp = comp[comp["item_key"].isin(pd.unique(item)).to_numpy()]
    known = pd.Series(item * m + cols["lot_key"][pos].astype(np.int64)).isin(
        comp["item_key"].to_numpy(dtype=np.int64) * m + comp["lot_key"].to_numpy(dtype=np.int64)).to_numpy()
    return set(cols["batch_key"][pos][~known].astype(np.int64).tolist())


def _grouped(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values sorted by their keys (stable), for _members: a look-up by key without a dict
    of one array per lot."""
    o = np.argsort(keys, kind="stable")
    return keys[o], values[o]


def _members(grouped: tuple[np.ndarray, np.ndarray], key: int) -> np.ndarray:
    keys, values = grouped
    return values[np.searchsorted(keys, key, "left"):np.searchsorted(keys, key, "right")]


def touched(typed: pd.DataFrame, alts: pd.DataFrame, facts: dict, item_rows: dict) -> np.ndarray:
    """Per alternative: (runs R, items I, lots A, rows of its copy) for a run's quantity
    corrected, else None (not a run's, or one the whole-scope path takes)."""
    r = typed.loc[alts["_i"].to_numpy()]
    walks, m = [], facts["m"]  # per alternative: the runs R and lots A downstream of its run, else None
    for kind, b, item, moved in zip(r["kind"].astype(object), r["batch_key"].to_numpy(), r["item_key"].to_numpy(),
                                    alts["date_new"].notna().to_numpy(), strict=True):
        if moved or kind not in ("used", "produced") or facts["cyclic"] or b == 0:
            walks.append(None)
            continue
        runs, lots, todo, ok = {int(b)}, set(), [int(b)], True
        while todo and ok:
            for lot in _made_by(facts, todo.pop()).tolist():
                users, multi = _lots_of(facts, lot // m)
                ok = ok and lot % m not in multi
                if lot not in lots:
                    lots.add(lot)
                    new = set(_members(users, lot % m).tolist()) - runs
                    runs |= new
                    todo += list(new)
        walks.append((runs, lots, int(item)) if ok else None)
    # the runs with an input of a lot the genealogy does not know, among those reached only
    unknown = _unknown(facts, set().union(*[w[0] for w in walks if w is not None]))
    out, seen = [], {}
    for w in walks:
        if w is None or w[0] & unknown:
            out.append(None)
            continue
        runs, lots, item = w
        key = (tuple(sorted(runs)), tuple(sorted({item} | {c // m for c in lots})))
        if key not in seen:
            seen[key] = (*key, frozenset((c // m, c % m) for c in lots), distinct_positions(np.concatenate(
                [item_rows[x] for x in key[1]] + [facts["batch_rows"][x] for x in key[0]]), len(item_rows.order)))
        out.append(seen[key])
    res = np.empty(len(out), dtype=object)
    res[:] = out
    return res


def run_copies(book: Book, slim: pd.DataFrame, gen: Genealogy, ctxs: list[dict], ik: int, bk: int, n0: int
               ) -> tuple[pd.DataFrame, pd.DataFrame, Genealogy, set]:
    """The copies for each run correction of ctxs (their alts carry `_touch`), numbered from
    n0 + 1, for copies.figures_after: (alt, stacked, genealogy, ingredient codes)."""
    alt = C.alts_of(ctxs)
    touch = list(alt["_touch"])
    # one copy as it is per items I and ingredient, holding the rows of every run R of the
    # alternatives it serves (another run's rows are the same in both copies: they cancel)
    keys = [(t[1], ing) for t, ing in zip(touch, alt["ing"], strict=True)]
    plain = {}
    for k, t in zip(keys, touch, strict=True):
        plain.setdefault(k, []).append(t[3])
    plain = {k: np.unique(np.concatenate(v)) for k, v in plain.items()}
    number = {k: n for n, k in enumerate(plain, start=1)}
    alt["n_orig"] = [n0 + number[k] for k in keys]
    alt["n"] = np.arange(n0 + len(plain) + 1, n0 + len(plain) + len(alt) + 1)
    mine = [plain[k] for k in keys]
    rows = list(plain.values()) + mine
    ns = np.concatenate([np.arange(n0 + 1, n0 + len(plain) + 1), alt["n"].to_numpy()])
    ing_of = np.concatenate([[k[1] for k in plain], alt["ing"].to_numpy()]).astype(np.int64)
    at = np.array([np.searchsorted(p, i) for p, i in zip(mine, slim.index.get_indexer(alt["_i"]), strict=True)],
                  dtype=np.int64)
    stacked = C.stack(slim, ns, rows, at, alt["qty_new"].to_numpy(), alt["date_new"].to_numpy(dtype="datetime64[ns]"),
                      ik, bk)
    ing_by_n = np.zeros(int(ns.max()) + 1, dtype=np.int64)
    ing_by_n[ns] = ing_of
    g_plain = _coded(gen, stacked, ing_by_n, ik, bk)
    # the corrected copies: the runs R rebuilt from every other lot's make-up as it is
    fixed_n = alt["n"].to_numpy()
    corr = np.isin(stacked["item_key"].to_numpy() // ik, fixed_n)
    lc = g_plain.lot_comp
    lc_n = lc["item_key"].to_numpy() // ik
    a_lots = pd.MultiIndex.from_tuples([(i + n * ik, lot) for n, t in zip(fixed_n, touch, strict=True) for i, lot in t[2]],
                                       names=LOT)
    fixed = lc[np.isin(lc_n, fixed_n) & ~pd.MultiIndex.from_frame(lc[LOT]).isin(a_lots)]
    sub = stacked[corr]
    built = build_genealogy(T.coded_book(book, sub["item_key"].to_numpy(), ik), sub, fixed)[0]
    r_codes = [b + n * bk for n, t in zip(fixed_n, touch, strict=True) for b in t[0]]
    bc = g_plain.batch_comp
    ic = g_plain.item_comp
    keep_ic = ~(np.isin(ic["item_key"].to_numpy() // ik, fixed_n) & ic["item_key"].isin(built.item_comp["item_key"]).to_numpy())
    g = Genealogy(pd.concat([lc[~np.isin(lc_n, fixed_n)], built.lot_comp], ignore_index=True),
                  pd.concat([ic[keep_ic], built.item_comp], ignore_index=True),
                  pd.concat([bc[~bc["batch_key"].isin(r_codes).to_numpy()],
                             built.batch_comp[built.batch_comp["batch_key"].isin(r_codes).to_numpy()]], ignore_index=True),
                  pd.Series(dtype=np.int64), frozenset())
    return alt, stacked, g, set(ing_of + ns * ik)


def _coded(gen: Genealogy, stacked: pd.DataFrame, ing_by_n: np.ndarray, ik: int, bk: int) -> Genealogy:
    """The book's genealogy under each copy's codes, for its one ingredient: the lots, items
    and runs of the copy; a known lot holding none of it keeps a row of weight 0 (so it stays
    known, as in the book, and its rows take no item's average make-up)."""
    def one(frame: pd.DataFrame, by: list[str], code: int, keys: pd.DataFrame) -> pd.DataFrame:
        n = keys[by[0]].to_numpy() // code
        k = keys.assign(_n=n, _ing=ing_by_n[n], **{by[0]: keys[by[0]].to_numpy() % code})
        # only the copies' ingredients can be kept: the book's other rows (most of a large
        # lot_comp) are left out before the join, not after (the same rows, in the same order)
        frame = frame[frame["ingredient_key"].isin(pd.unique(k["_ing"].to_numpy())).to_numpy()]
        m = k.merge(frame, on=by)
        m = m[(m["ingredient_key"] == m["_ing"]).to_numpy()]
        m = m.assign(**{by[0]: m[by[0]].to_numpy() + m["_n"].to_numpy() * code,
                        "ingredient_key": m["ingredient_key"].to_numpy() + m["_n"].to_numpy() * ik})
        return m[list(frame.columns)]
    lots = stacked[LOT].drop_duplicates()
    lot_comp = one(gen.lot_comp, LOT, ik, lots)
    orig = lots.assign(item_key=lots["item_key"].to_numpy() % ik)
    # lots as one integer each (frames.lot_codes), not pairs of a MultiIndex of the whole lot_comp
    c_orig, c_book, c_lots, c_held = lot_codes(orig, gen.lot_comp, lots, lot_comp)
    bare = lots[pd.Series(c_orig).isin(c_book).to_numpy() & ~pd.Series(c_lots).isin(c_held).to_numpy()]
    lot_comp = pd.concat([lot_comp, bare.assign(ingredient_key=PLACEHOLDER, frac=0.0)], ignore_index=True)
    items = stacked[["item_key"]].drop_duplicates()
    batches = stacked.loc[stacked["batch_key"].to_numpy() != 0, ["batch_key"]].drop_duplicates()
    return Genealogy(lot_comp, one(gen.item_comp, ["item_key"], ik, items), one(gen.batch_comp, ["batch_key"], bk, batches),
                     pd.Series(dtype=np.int64), frozenset())
