"""Investigations of the supply balance (CONTRACT s.7): which cell, corrected, would close
an OVERSOLD or INVESTIGATE ingredient balance, through every level of runs.

A supply figure is not linear in the quantities: a run input keyed ten times too high
changes both the run's loss and the make-up of everything the run made. So every slip of
every flagged row is first estimated at once from the row's share of the ingredient (the
genealogy's make-up), and the likeliest few of each flagged row are then recomputed
exactly by the engine's own code, without a loop of recomputations:
- a correction that changes no lot's make-up (a shipment, a loss, a date, a count, and a
  receipt whose lot's fractions stay 1 or 0: touches.route) changes only its item's part
  of the figure: the book's supply terms (supply_terms) plus that item's rows corrected,
  less the same rows as they are, then supply_figures (a receipt's item with its average
  make-up rebuilt from its own rows by build_genealogy);
- a run's input or output (a BatchInputs or Batches quantity) is recomputed on the runs
  and items downstream of it, the rest of the genealogy kept as it is (investigate.runs),
  the same way: the book's terms plus that copy corrected, less it as it is (copies);
- any other (a receipt into a mixed lot, a count that opens a lot, a run in a cycle or
  making a lot with another) is recomputed on a corrected copy of every row its
  ingredient depends on, genealogy first.
All copies are stacked under item, run and ingredient codes of their own and computed in
one pass per path.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.frames import KeyRuns, distinct_positions, looked_up, runs_within
from massbal.engine.genealogy import Genealogy, build_genealogy
from massbal.engine.load import Book
from massbal.engine.roll import stable_order
from massbal.engine.supply import ROUNDING_SHARE, ROUNDING_UNITS, compute_supply

from . import copies as C
from . import runs as R
from . import slips as S
from . import touches as T
from .balances import CLOSES_OTHER, COLUMNS, FLOW_KINDS, NEXT_STEPS, PRIOR_WEIGHT, empty, order

FLAGGED = ("OVERSOLD", "INVESTIGATE")
EXACT_PER_ROW = 6  # alternatives per flagged supply row recomputed exactly (the best estimates)
# Rows of the stacked copies built in one exact pass (memory), and in all: a book whose
# flagged rows would need more is examined worst gap first, the rest say so (NOT_EXAMINED).
STACK_ROWS = 2_000_000
PAIR_ROWS = 1_000_000  # (flagged row, alternative) pairs estimated at once by _screen (memory)
# ledger rows (by flagged row) whose alternatives are made at once: about ten a row (memory)
GROUP_MEMBERS = 150_000
STACK_BUDGET = 30_000_000
NOT_EXAMINED = ("Not examined in this run: massbal tests single-cell corrections of the supply balances with the "
                "largest gaps first, and this one was beyond that limit. Look at the Investigations rows of the "
                "balances of the items that hold this ingredient, then check next: an organic receipt not entered "
                "(or entered as conventional), a run input or shipment keyed too high, counts of products holding it.")


def _scope(gen: Genealogy, ing: int, index: pd.Index, rows: tuple[Positions, Positions]) -> pd.Index:
    """The ledger rows (labels, in ledger order) the supply of one ingredient depends on:
    every row of an item that holds it, and every row of a run that used it. rows: the
    ledger's row positions by item and by run."""
    items = gen.item_comp.loc[gen.item_comp["ingredient_key"] == ing, "item_key"]
    batches = gen.batch_comp.loc[gen.batch_comp["ingredient_key"] == ing, "batch_key"]
    by_item, by_batch = rows
    batches = pd.unique(batches)
    # every key's positions at once, in ledger order and each once
    pos = np.concatenate([by_item.take(pd.unique(items)), by_batch.take(batches[batches != 0])])
    return index[distinct_positions(pos, len(index))] if len(pos) else index[:0]


def explain_supply(book: Book, ledger: pd.DataFrame, gen: Genealogy, yields: pd.DataFrame, supply: pd.DataFrame,
                   periods, terms: pd.DataFrame | None = None) -> pd.DataFrame:
    """terms: the book's supply_terms over `periods` (api.supply_with_terms), else computed
    here for the flagged ingredients (copies.book_terms)."""
    if supply.empty or not supply["status"].isin(FLAGGED).any():
        return empty()
    key_of = {str(n): k for k, n in book.items["item"].items()}
    flagged = supply[supply["status"].isin(FLAGGED)]
    # the worst gaps first (by share of what was available), so a budget goes where it matters
    worst = (flagged["unaccounted"].abs() / flagged["available"].abs().clip(lower=1.0)).sort_values(
        ascending=False, kind="stable")
    fl = flagged.loc[worst.index].reset_index(drop=True)
    fl["ing"] = fl["ingredient"].astype(str).map(key_of)
    rows = (Positions(ledger["item_key"].to_numpy()), Positions(ledger["batch_key"].to_numpy()))
    members, scopes = _members(ledger, gen, fl, rows)
    records = fl.to_dict("records")
    rows_out, spent, full = [], 0, False
    # a few flagged rows at a time (worst first, as the budget goes), so the alternatives of
    # a book with many flagged are made and let go a group at a time (memory); each flagged
    # row's candidates come from its own rows alone, so the groups find what one pass would
    size = np.bincount(members["fid"].to_numpy(dtype=np.int64), minlength=len(fl))
    at = np.r_[0, np.cumsum(size)]  # members are in flagged-row order
    for a, b in runs_within(size.tolist(), GROUP_MEMBERS):
        fids = range(a, b)
        ctxs = _screen(book, ledger, gen, yields, fl, periods, members.iloc[at[a]:at[b]], scopes)
        exact, examined, spent, full = _exact_all(book, ledger, gen, ctxs, periods, rows, terms, spent, full)
        by_fid = {c["id"]: c for c in ctxs}
        live = _passing(records, [c for c in ctxs if c["id"] in examined], exact)
        for fid in fids:
            f, ctx = records[fid], by_fid.get(fid)
            found = _candidates(book, f, ctx, exact, supply, live.get(fid, [])) \
                if ctx is not None and fid in examined else []
            if not found:
                why = NOT_EXAMINED if ctx is not None and fid not in examined else NEXT_STEPS["OVERSOLD"]
                found = [{"figure": "Supply", "item": f["ingredient"], "owner": f["owner"], "start": f["start"],
                          "end": f["end"], "variance": f["unaccounted"], "explanation": why}]
            rows_out += found
    return order(pd.DataFrame(rows_out).reindex(columns=COLUMNS))


class Positions(KeyRuns):
    """The ledger's row positions by key, as groupby(key).indices gives them (ascending), from
    one stable argsort: only the few keys the flagged rows reach are looked up, so building a
    dict of one array per run (100,000 at 1M) was most of the cost."""

    def __init__(self, keys: np.ndarray):
        super().__init__(keys, stable_order(keys))

    def __contains__(self, key) -> bool:
        i = np.searchsorted(self.keys, key)
        return bool(i < len(self.keys) and self.keys[i] == key)

    def __getitem__(self, key) -> np.ndarray:
        lo, hi = np.searchsorted(self.keys, key, "left"), np.searchsorted(self.keys, key, "right")
        if lo == hi:
            raise KeyError(key)
        return self.order[lo:hi]

    def take(self, keys: np.ndarray) -> np.ndarray:
        """The positions of every key of `keys` (none for a key not there), key after key."""
        return self.matches(keys)[0]


def _members(ledger: pd.DataFrame, gen: Genealogy, fl: pd.DataFrame, rows: tuple[Positions, Positions]) -> tuple[pd.DataFrame, dict]:
    """(fid, _i, in_p, dated) for every ledger row a flagged supply row's slips may sit in:
    its ingredient's rows of the owner dated in the period (flows), counted on its last
    day, or dated (not a run input: those carry their batch's date) a few days around it."""
    scopes, parts = {}, []
    # the owner's name ('' for none) read at each scope's rows only, not made for the whole ledger
    owner, owner_key = ledger["owner"], ledger["owner_key"].to_numpy()
    kind = ledger["kind"]  # categorical: isin per category, not per row
    flow = kind.isin(FLOW_KINDS).to_numpy()
    datable = kind.isin([k for k in FLOW_KINDS if k != "used"]).to_numpy()
    is_count = (kind == "count").to_numpy()
    edge = pd.Timedelta(days=S.EDGE_DAYS)
    at_scope = {}  # per ingredient: its scope's dates, owners and kinds, read once for all its flagged rows
    for fid, f in enumerate(fl.to_dict("records")):
        ing = f["ing"]
        if pd.isna(ing):
            continue
        if ing not in scopes:
            scopes[ing] = _scope(gen, int(ing), ledger.index, rows)
            pos = ledger.index.get_indexer(scopes[ing])
            names = owner.iloc[pos].to_numpy(dtype=object, copy=True)
            names[(owner_key[pos] == 0) | pd.isna(names)] = ""
            at_scope[ing] = (ledger["date"].to_numpy()[pos], names, flow[pos], datable[pos], is_count[pos])
        idx = scopes[ing]
        d, names, flow_s, datable_s, count_s = at_scope[ing]
        start, end = np.datetime64(pd.Timestamp(f["start"])), np.datetime64(pd.Timestamp(f["end"]))
        mine = names == (f["owner"] or "")
        inside = (d >= start) & (d <= end)
        near = (d >= start - edge) & (d <= end + edge)
        in_p = mine & ((flow_s & inside) | (count_s & (d == end)))
        dated = mine & datable_s & near
        keep = in_p | dated
        parts.append(pd.DataFrame({"fid": fid, "_i": idx[keep], "in_p": in_p[keep] & inside[keep], "dated": dated[keep]}))
    members = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["fid", "_i", "in_p", "dated"])
    return members, scopes


def _fractions(r: dict, pairs: pd.DataFrame, gen: Genealogy) -> np.ndarray:
    """The share of the flagged ingredient in each pair's row, from the genealogy's lot
    make-up (the item's average make-up for a row without a known lot): an estimate
    only, the exact figure is recomputed."""
    ing = pairs["ing"].to_numpy()
    lot = looked_up({"item_key": r["item_key"], "lot_key": r["lot_key"], "ingredient_key": ing},
                    _of_ingredients(gen.lot_comp, ing), "frac")
    item = looked_up({"item_key": r["item_key"], "ingredient_key": ing}, _of_ingredients(gen.item_comp, ing), "frac")
    return np.nan_to_num(np.where(np.isnan(lot), item, lot).astype(float))


def _of_ingredients(comp: pd.DataFrame, ing: np.ndarray) -> pd.DataFrame:
    """The make-up rows (lot_comp, item_comp, batch_comp) of the ingredients `ing` only: a
    look-up of a flagged ingredient finds no other's row, so the few flagged ingredients'
    rows are indexed, not the whole genealogy's (600k lot rows at 1M)."""
    return comp[comp["ingredient_key"].isin(pd.unique(ing)).to_numpy()]


def _screen(book, ledger, gen, yields, fl: pd.DataFrame, periods, members: pd.DataFrame, scopes: dict) -> list[dict]:
    """Every flagged row's alternatives, each estimated from the row's ingredient share; the
    best EXACT_PER_ROW that may bring it within tolerance, with the periods their exact
    recomputation needs. All flagged rows of `members` (_members) at once: the slips of a
    ledger row are the same whichever flagged figure it enters."""
    if members.empty:
        return []
    # the scopes of these flagged rows' ingredients (a row's twin is a row of its own item)
    scopes = {i: scopes[i] for i in pd.unique(fl["ing"].to_numpy()[pd.unique(members["fid"].to_numpy())])}
    typed = S.typed_rows(book, ledger.loc[pd.unique(members["_i"])])
    # a row with no typed cell of its own (a farm's harvest, feed or herd rows) is no candidate
    in_p_rows = typed.loc[typed.index.intersection(pd.unique(members.loc[members["in_p"], "_i"]), sort=False)]
    dated_rows = typed.loc[typed.index.intersection(pd.unique(members.loc[members["dated"], "_i"]), sort=False)]
    starts = np.array([p[0] for p in periods], dtype="datetime64[ns]")
    ends = np.array([p[1] for p in periods], dtype="datetime64[ns]")
    twins = S.duplicates(ledger[C.within(ledger, scopes.values())])
    values = pd.concat([S.digit_shifts(in_p_rows), S.transpositions(in_p_rows),
                        S.unit_slips(in_p_rows, book.settings.unit), S.duplicate_rows(in_p_rows, twins)],
                       ignore_index=True)
    moves = S.date_slips(dated_rows, starts, ends)
    alts = pd.concat([values, moves], ignore_index=True)
    # millions of alternatives at 20 % flagged on a 1M book: the parts are let go, and the
    # columns added in place rather than by a copy of the whole frame (assign)
    del values, moves
    if alts.empty:
        return []
    alts["prior"] = alts["prior"].to_numpy() + S.run_fit(typed, alts, yields, ledger)
    alts["alt"] = np.arange(len(alts))
    alts["is_move"] = alts["date_new"].notna().to_numpy()
    # the pairs (flagged row, alternative) are estimated a slice of flagged rows at a time, on
    # the alternatives' numbers alone (their words are joined to the few kept): all at once,
    # with every column, they held 3 GB at 20 % flagged on a 1M book. The same pairs, in the
    # same order, so the same ones are kept.
    num = alts[["_i", "alt", "is_move", "qty_new", "date_new", "prior"]]
    n_alts = num.groupby("_i", sort=False).size()
    size = n_alts.reindex(members["_i"].to_numpy()).fillna(0).to_numpy()
    cuts = _slices(members["fid"].to_numpy(), size, PAIR_ROWS)
    # whether the row's item is counted on the period's last day (then its flows show in full)
    cd = ledger.loc[(ledger["kind"] == "count").to_numpy(), ["item_key", "owner_key", "date"]].drop_duplicates()
    pairs = pd.concat([_estimate(members.iloc[lo:hi], num, fl, typed, gen, cd) for lo, hi in cuts],
                      ignore_index=True)
    words = ["cause", "column", "typed", "suggested"]
    pairs = pairs.assign(**{c: alts[c].to_numpy()[pairs["alt"].to_numpy()] for c in words})
    ctxs = []
    for fid, grp in pairs.groupby("fid", sort=True):
        f = fl.loc[fid]
        ing, lo, hi = int(f["ing"]), pd.Timestamp(f["start"]), pd.Timestamp(f["end"])
        moved = grp["is_move"].to_numpy()
        src = typed.loc[grp["_i"].to_numpy(), "date"].to_numpy(dtype="datetime64[ns]")
        # only the periods a correction can change: this one, and the one a date moves to or from
        touched = np.concatenate([src[moved], grp["date_new"].to_numpy(dtype="datetime64[ns]")[moved]])
        wanted = [p for p in periods if (p[0] <= hi and p[1] >= lo)
                  or ((touched >= np.datetime64(p[0])) & (touched <= np.datetime64(p[1]))).any()]
        ctxs.append({"id": int(fid), "ing": ing, "scope": scopes[ing], "typed": typed,
                     "alts": grp[S.ALT_COLUMNS].reset_index(drop=True), "wanted": wanted})
    return ctxs


def _slices(fid: np.ndarray, size: np.ndarray, most: int) -> list[tuple[int, int]]:
    """Row ranges of members (in fid order) holding whole flagged rows, each of at most
    `most` pairs (`size`: pairs per member row) unless one flagged row alone needs more."""
    bounds = np.flatnonzero(np.r_[True, fid[1:] != fid[:-1]])
    per = np.add.reduceat(size, bounds) if len(size) else np.zeros(0)
    starts = np.r_[bounds, len(fid)]
    return [(int(starts[lo]), int(starts[hi])) for lo, hi in runs_within(per.tolist(), most)]


def _estimate(members: pd.DataFrame, num: pd.DataFrame, fl: pd.DataFrame, typed: pd.DataFrame, gen: Genealogy,
              cd: pd.DataFrame) -> pd.DataFrame:
    """_screen's estimate of the pairs of some flagged rows: the best EXACT_PER_ROW of each
    that may bring it within tolerance (qty_new: relative to its period, see below)."""
    pairs = members.merge(num, on="_i")
    pairs = pairs[np.where(pairs["is_move"], pairs["dated"], pairs["in_p"]).astype(bool)]
    # the flagged row's figures each pair reads, not its words (a million pairs at 5 % flagged)
    f = fl[["start", "end", "ing", "unaccounted", "available", "tolerance_pct"]].loc[pairs["fid"].to_numpy()]
    start = f["start"].to_numpy(dtype="datetime64[ns]")
    end = f["end"].to_numpy(dtype="datetime64[ns]")
    pi = typed.index.get_indexer(pairs["_i"].to_numpy())
    src = typed["date"].to_numpy(dtype="datetime64[ns]")[pi]
    dn = pairs["date_new"].to_numpy(dtype="datetime64[ns]")
    was_in, now_in = (src >= start) & (src <= end), (dn >= start) & (dn <= end)
    mv = pairs["is_move"].to_numpy()
    keep = ~mv | (was_in != now_in)
    pairs, pi = pairs[keep], pi[keep]
    # relative to this period a move out is a removal, a move in an addition
    qty_new = np.where(mv[keep], np.where(now_in[keep], 2 * pairs["qty_new"].to_numpy(), 0.0), pairs["qty_new"].to_numpy())
    f, end = f[keep], end[keep]
    r = {c: typed[c].to_numpy()[pi] for c in ("qty", "batch_key", "item_key", "lot_key", "owner_key")}
    pairs = pairs.assign(ing=f["ing"].to_numpy())
    dq = qty_new - r["qty"]
    fr = _fractions(r, pairs, gen)
    fb = looked_up({"batch_key": r["batch_key"], "ingredient_key": pairs["ing"].to_numpy()},
                   _of_ingredients(gen.batch_comp, pairs["ing"].to_numpy()), "frac")
    fb = np.where(np.isnan(fb), 0.0, fb)
    cnt = looked_up({"item_key": r["item_key"], "owner_key": r["owner_key"], "date": end}, cd, None)
    # each pair's kind as the code of its typed row's kind (a million pairs compared on
    # integers, not on texts)
    kc, kinds = pd.factorize(typed["kind"].astype(object).to_numpy())
    kc = kc[pi]

    def kind(*names: str) -> np.ndarray:
        return np.isin(kc, [i for i in pd.Index(kinds, dtype=object).get_indexer(list(names)) if i >= 0])
    est = np.select(
        [kind("receipt"), kind("shipped", "loss"), kind("used"), kind("produced"), kind("count")],
        [np.where(cnt, dq * fr, 0.0), np.where(cnt, -dq * fr, 0.0), -dq * fb + np.where(cnt, 0.0, dq * fr),
         dq * fb - np.where(cnt, 0.0, dq * fr), -dq * fr], 0.0)
    after = f["unaccounted"].to_numpy() + est
    band = f["tolerance_pct"].to_numpy() / 100.0 * f["available"].clip(lower=0).to_numpy() + \
        np.maximum(ROUNDING_UNITS, ROUNDING_SHARE * f["available"].clip(lower=0).to_numpy())
    pairs = pairs.assign(qty_new=qty_new, est=np.abs(after))
    pairs = pairs[np.abs(after) <= 3 * band]
    return pairs.sort_values(["fid", "est", "prior"], kind="stable").groupby("fid", sort=False).head(EXACT_PER_ROW)


# the ledger columns build_genealogy and compute_supply read (the names only for a lot cycle's message)
STACK_COLUMNS = ["kind", "date", "item_key", "lot_key", "owner_key", "owner", "qty", "organic", "batch_key"]
CYCLE_COLUMNS = ["batch", "lot", "item", "row"]


def _exact_all(book: Book, ledger: pd.DataFrame, gen: Genealogy, ctxs: list[dict], periods,
               rows: tuple[Positions, Positions], terms: pd.DataFrame | None = None, spent: int = 0,
               full: bool = False) -> tuple[dict, set, int, bool]:
    """Every short-listed alternative's supply, recomputed by the engine's own code in as
    few passes as memory allows: {(ctx id, alt index): its supply rows}, the ids of the
    flagged rows examined (all but those beyond STACK_BUDGET), and the budget spent and
    whether it ran out, counting from `spent` and `full` (the worse flagged rows' groups)."""
    if full:
        return {}, set(), spent, full
    ik = int(max(book.items.index.max(), ledger["item_key"].max())) + 1
    slim = ledger[STACK_COLUMNS + (CYCLE_COLUMNS if gen.cycle_batches else [])]
    item_rows = rows[0]
    routes = {}
    if ctxs:  # all at once (the flagged rows share one `typed`)
        alts = pd.concat([c["alts"] for c in ctxs])
        # route asks only about the alternatives' own items: their rows are all lot_facts needs
        xs = pd.unique(ctxs[0]["typed"].loc[alts["_i"].to_numpy(), "item_key"].to_numpy())
        mine = np.sort(np.concatenate([item_rows[x] for x in xs]))
        only, remake = T.route(ctxs[0]["typed"], alts, T.lot_facts(ledger.iloc[mine]))
        # a run's correction: recomputed on the runs and items downstream of it (investigate.runs)
        touch = R.touched(ctxs[0]["typed"], alts, R.run_facts(ledger, gen, rows[1], item_rows), item_rows)
        cuts = np.cumsum([len(c["alts"]) for c in ctxs])[:-1]
        routes = dict(zip([c["id"] for c in ctxs], zip(np.split(only, cuts), np.split(remake, cuts),
                                                       np.split(touch, cuts), strict=True), strict=True))
    # the book's own terms, once for every pass (copies.figures_after adds each copy's change)
    base = C.book_terms(slim, gen, ctxs, terms) if ctxs else None
    out, examined = {}, set()
    whole, part, runs, size = [], [], [], 0
    for c in ctxs:  # worst first: a row is examined whole or not at all
        only, remake, touch = routes[c["id"]]
        on_runs = ~only & np.array([t is not None for t in touch], dtype=bool)
        xs = c["typed"].loc[c["alts"]["_i"].to_numpy()[only], "item_key"]
        need = (len(c["scope"]) * int((~only & ~on_runs).sum()) + sum(len(item_rows[x]) for x in xs)
                + sum(len(t[3]) for t in touch[on_runs]))
        if spent + need > STACK_BUDGET:
            full = True
            break
        spent += need
        examined.add(c["id"])
        # a correction that changes no lot's make-up (_route) changes only its own item's part
        # of the figure, recomputed on that item's rows alone
        if only.any():
            part.append(c | {"alts": c["alts"][only].assign(_remake=remake[only])})
        if on_runs.any():
            runs.append(c | {"alts": c["alts"][on_runs].assign(_touch=touch[on_runs])})
        if (~only & ~on_runs).any():
            whole.append(c | {"alts": c["alts"][~only & ~on_runs]})
        size += need
        if size >= STACK_ROWS:
            out.update(_passes(book, slim, gen, base, whole, part, runs, item_rows, ik, periods))
            whole, part, runs, size = [], [], [], 0
    out.update(_passes(book, slim, gen, base, whole, part, runs, item_rows, ik, periods))
    return out, examined, spent, full


def _passes(book, slim, gen, base, whole, part, runs, item_rows, ik, periods) -> dict:
    out = {}
    if whole:
        out.update(_stack_pass(book, slim, whole, periods, ik))
    # the run and the item-only corrections: their copies numbered apart under one run code
    # step (bk), so one supply_terms (figures_after) computes them all
    bk = int(slim["batch_key"].max()) + 1 if len(slim) else 1
    copies = []
    if runs:
        copies.append(R.run_copies(book, slim, gen, runs, ik, bk, 0))
    if part:
        n0 = int(copies[0][0]["n"].max()) if copies else 0
        copies.append(_item_copies(book, slim, gen, part, item_rows, ik, bk, n0))
    if copies:
        out.update(C.figures_after(book, slim, base, runs + part, *C.joined(copies), ik))
    return out


def _item_copies(book: Book, slim: pd.DataFrame, gen: Genealogy, ctxs: list[dict], item_rows: Positions, ik: int,
                 bk: int, n0: int) -> tuple[pd.DataFrame, pd.DataFrame, Genealogy, set]:
    """The copies for each item-only alternative of ctxs, numbered from n0 + 1: its item's
    rows corrected, and the same rows as they are (copies.figures_after: the book's supply
    terms plus what the correction changes in its item's part), each under item, run and
    ingredient codes of its own: (alt, stacked, genealogy, ingredient codes)."""
    alt = C.alts_of(ctxs)
    alt["x"] = ctxs[0]["typed"].loc[alt["_i"].to_numpy(), "item_key"].to_numpy()  # one `typed` for all (_screen)
    # copies 1..m: each (item, ingredient) as it is; then one corrected copy per alternative
    plain = alt[["x", "ing"]].drop_duplicates().reset_index(drop=True)
    plain["n"] = np.arange(n0 + 1, n0 + len(plain) + 1)
    alt = alt.merge(plain.rename(columns={"n": "n_orig"}), on=["x", "ing"])
    alt["n"] = np.arange(n0 + len(plain) + 1, n0 + len(plain) + len(alt) + 1)
    copies = pd.concat([plain, alt[["x", "ing", "n"]]], ignore_index=True)
    pos = [item_rows[x] for x in copies["x"]]
    at = np.array([np.flatnonzero(slim.index[item_rows[x]] == i)[0]
                   for x, i in zip(alt["x"], alt["_i"], strict=True)], dtype=np.int64)
    stacked = C.stack(slim, copies["n"].to_numpy(), pos, at, alt["qty_new"].to_numpy(),
                      alt["date_new"].to_numpy(dtype="datetime64[ns]"), ik, bk)
    # the genealogy as it is (nothing here changes it), under each copy's codes
    cp = copies.rename(columns={"x": "item_key", "ing": "ingredient_key"})

    def coded(frame: pd.DataFrame, by: str) -> pd.DataFrame:
        # the copies' ingredients only, before the join (the book's others join no copy)
        frame = frame[frame["ingredient_key"].isin(pd.unique(cp["ingredient_key"].to_numpy())).to_numpy()]
        if by == "batch_key":
            keys = pd.unique(stacked["batch_key"].to_numpy())
            keys = keys[keys != 0]
            m = pd.DataFrame({"code": keys, "n": keys // bk, "batch_key": keys % bk}).merge(cp[["n", "ingredient_key"]], on="n")
            m = m.merge(frame, on=["batch_key", "ingredient_key"]).assign(batch_key=lambda f: f["code"])
        else:
            m = cp.merge(frame, on=["item_key", "ingredient_key"]).assign(item_key=lambda f: f["item_key"] + f["n"] * ik)
        return m.assign(ingredient_key=m["ingredient_key"] + m["n"] * ik)[list(frame.columns)]
    item_comp = coded(gen.item_comp, "item_key")
    remade = alt["n"].to_numpy()[alt["_remake"].fillna(False).to_numpy(dtype=bool)]
    if len(remade):
        # a corrected receipt moves its item's average make-up: rebuilt by build_genealogy
        # from the copy's own source rows (no run makes the item, so they are all it needs)
        sub = stacked[np.isin(stacked["item_key"].to_numpy() // ik, remade) &
                      stacked["kind"].isin(("receipt", "harvested", "count", "produced")).to_numpy()]
        ic = build_genealogy(T.coded_book(book, sub["item_key"].to_numpy(), ik), sub)[0].item_comp
        ic = ic[ic["ingredient_key"].isin(alt["ing"].to_numpy() + alt["n"].to_numpy() * ik)]
        item_comp = pd.concat([item_comp[~np.isin(item_comp["item_key"].to_numpy() // ik, remade)], ic],
                              ignore_index=True)
    g = Genealogy(coded(gen.lot_comp, "item_key"), item_comp,
                  coded(gen.batch_comp, "batch_key"), pd.Series(dtype=np.int64), frozenset())
    return alt, stacked, g, set(copies["ing"] + copies["n"] * ik)


def _stack_pass(book: Book, slim: pd.DataFrame, ctxs: list[dict], periods, ik: int) -> dict:
    """One build_genealogy + compute_supply over the corrected copies of every alternative
    of ctxs, each copy under item codes (and run codes) of its own so none mixes with
    another; results keyed (ctx id, alt index). A copy is its ingredient's scope with the
    one cell corrected as a user would: its quantity (0 deletes the row) or its date."""
    pos, copy, fix_at, fix_qty, fix_date, codes, wanted = [], [], [], [], [], {}, set()
    n = off = 0
    last = [np.datetime64("NaT", "ns")]  # by copy: the end of the last period it is asked for
    for c in ctxs:
        sp = slim.index.get_indexer(c["scope"])
        at = c["scope"].get_indexer(c["alts"]["_i"])
        alts = c["alts"]
        # a move keeps the quantity; any other alternative is the row's new quantity
        qty = np.where(alts["date_new"].notna(), c["typed"].loc[alts["_i"].to_numpy(), "qty"].to_numpy(),
                       alts["qty_new"].to_numpy())
        for j in range(len(alts)):
            n += 1
            pos.append(sp)
            copy.append(np.full(len(sp), n, dtype=np.int64))
            fix_at.append(off + at[j])
            off += len(sp)
            codes[n] = (c["id"], alts.index[j], c["ing"] + n * ik)
            last.append(np.datetime64(max(p[1] for p in c["wanted"]), "ns"))
        fix_qty.append(qty)
        fix_date.append(alts["date_new"].to_numpy(dtype="datetime64[ns]"))
        wanted.update(c["wanted"])
    stacked = slim.iloc[np.concatenate(pos)].reset_index(drop=True)
    cp = np.concatenate(copy)
    fix_at, fix_qty, fix_date = np.array(fix_at), np.concatenate(fix_qty), np.concatenate(fix_date)
    q = stacked["qty"].to_numpy(dtype=float, copy=True)
    q[fix_at] = fix_qty
    d = stacked["date"].to_numpy(dtype="datetime64[ns]", copy=True)
    moved = ~np.isnat(fix_date)
    d[fix_at[moved]] = fix_date[moved]
    b = stacked["batch_key"].to_numpy()
    bk = int(b.max()) + 1 if len(b) else 1
    stacked = stacked.assign(qty=q, date=d, item_key=stacked["item_key"].to_numpy() + cp * ik,
                             batch_key=np.where(b != 0, b + cp * bk, 0))
    stacked = stacked[~np.isin(np.arange(len(stacked)), fix_at[fix_qty == 0])]
    # each copy's items: the book's, under the copy's codes; an ingredient names itself by
    # its code, so each supply row says whose copy it is
    book_ext = T.coded_book(book, stacked["item_key"].to_numpy(), ik)
    gen = build_genealogy(book_ext, stacked)[0]
    # a row dated after a copy's last period asked for changes none of its figures (the roll
    # looks back only), though it may change a lot's make-up: genealogy on all, the roll without
    last = np.array(last, dtype="datetime64[ns]")
    cut = last[stacked["item_key"].to_numpy() // ik]
    stacked = stacked[(stacked["date"].to_numpy(dtype="datetime64[ns]") <= cut)]
    sup = compute_supply(book_ext, stacked, gen, sorted(wanted), {code for _, _, code in codes.values()})[0]
    code = pd.to_numeric(sup["ingredient"], errors="coerce").to_numpy()
    order_ = np.argsort(code, kind="stable")
    sup, code = sup.iloc[order_].reset_index(drop=True), code[order_]
    out = {}
    for n, (cid, j, ic) in codes.items():
        lo, hi = np.searchsorted(code, [ic, ic + 0.5])
        rows = sup.iloc[lo:hi]
        out[(cid, j)] = rows[(rows["end"].to_numpy(dtype="datetime64[ns]") <= last[n])].reset_index(drop=True)
    return out


def _passing(records: list[dict], ctxs: list[dict], exact: dict) -> dict:
    """{flagged row: the positions of its alternatives whose exact recomputation calls its
    own figure (the first row of its owner and period) PASS}, ascending. Most do not, so
    only these are looked at closer (_candidates); all flagged rows' results joined once
    and read as arrays, not joined and grouped again for each flagged row."""
    keys = [(c["id"], j) for c in ctxs for j in range(len(c["alts"]))]
    if not keys:
        return {}
    frames = [exact[k] for k in keys]
    big = pd.concat(frames, ignore_index=True)
    pair = np.repeat(np.arange(len(keys)), [len(x) for x in frames])
    fid = np.array([k[0] for k in keys], dtype=np.int64)[pair]
    owner = np.array([f["owner"] or "" for f in records], dtype=object)
    start = np.array([pd.Timestamp(f["start"]).to_datetime64() for f in records], dtype="datetime64[ns]")
    mine = (big["owner"].fillna("").to_numpy(dtype=object) == owner[fid]) & \
        (big["start"].to_numpy(dtype="datetime64[ns]") == start[fid])
    at = np.flatnonzero(mine)
    status = big["status"].to_numpy(dtype=object)
    at = at[pd.notna(status[at])]  # the first status that is there, as groupby().first() reads it
    first = at[np.r_[True, pair[at][1:] != pair[at][:-1]]] if len(at) else at
    live = {}
    for p in pair[first][status[first] == "PASS"]:
        live.setdefault(keys[p][0], []).append(keys[p][1])
    return live


def _candidates(book: Book, f: dict, ctx: dict, exact: dict, supply: pd.DataFrame, live: list[int]) -> list[dict]:
    """The flagged row's alternatives that its exact recomputation calls PASS (live: their
    positions, _passing), best first."""
    start, end = pd.Timestamp(f["start"]), pd.Timestamp(f["end"])
    typed, owner = ctx["typed"], f["owner"] or ""
    out = []
    for j, a in zip(live, ctx["alts"].iloc[live].to_dict("records"), strict=True):
        sup = exact[(ctx["id"], j)]
        moved = pd.notna(a["date_new"])
        same_owner = (sup["owner"].fillna("") == owner).to_numpy()
        hit = sup[same_owner & (sup["start"] == start).to_numpy()]
        if hit.empty or hit.iloc[0]["status"] != "PASS":
            continue
        h = hit.iloc[0]
        other = {}
        if moved:  # the other period the row moves from or to
            src_date = typed.loc[a["_i"], "date"]
            od = pd.Timestamp(a["date_new"]) if start <= src_date <= end else src_date
            o = sup[same_owner & ((sup["start"] <= od) & (sup["end"] >= od)).to_numpy()]
            if len(o):
                o = o.iloc[0]
                was = supply[(supply["ingredient"] == f["ingredient"]) & (supply["start"] == o["start"]) &
                             (supply["owner"].fillna("") == owner)]["status"]
                if (was.empty or was.iat[0] == "PASS") and o["status"] != "PASS":
                    continue  # it only moves the gap to a period that passed
                if len(was) and was.iat[0] != "PASS" and o["status"] == "PASS":
                    a["prior"] += CLOSES_OTHER / PRIOR_WEIGHT
                other = {"other_start": o["start"], "other_end": o["end"], "other_variance": None,
                         "other_variance_after": round(float(o["unaccounted"]), 6) + 0.0,
                         "other_status_after": o["status"]}
        src = typed.loc[a["_i"]]
        letter = book.letter(src["table"], a["column"])
        gap = max(abs(f["unaccounted"]), 1e-9)
        out.append({"figure": "Supply", "item": f["ingredient"], "owner": f["owner"], "start": f["start"],
                    "end": f["end"], "variance": f["unaccounted"], "cause": a["cause"], "sheet": src["sheet"],
                    "row": int(src["row"]), "column": a["column"], "cell": f"{letter}{int(src['row'])}" if letter else None,
                    "typed": a["typed"], "suggested": a["suggested"], "variance_after": round(float(h["unaccounted"]), 6) + 0.0,
                    "variance_pct_after": None, "status_after": h["status"],
                    "_score": abs(h["unaccounted"]) / gap + PRIOR_WEIGHT * a["prior"], **other})
    out.sort(key=lambda d: d["_score"])
    from .explain_text import sentence
    for rank, d in enumerate(out, start=1):
        d["rank"] = rank
        d.pop("_score")
        d["explanation"] = sentence(d, book.settings.unit, "the unaccounted organic supply")
    return out
