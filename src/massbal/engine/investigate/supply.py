"""Investigations of the supply balance (CONTRACT s.7): which cell, corrected, would close
an OVERSOLD or INVESTIGATE ingredient balance, through every level of runs.

A supply figure is not linear in the quantities: a run input keyed ten times too high
changes both the run's loss and the make-up of everything the run made. So each slip is
first estimated from the row's present ingredient share, and the short list of the
likeliest is recomputed exactly: genealogy and supply rebuilt by the engine's own
code on the corrected rows of the ingredient's items and runs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.genealogy import Genealogy, build_genealogy, equivalents
from massbal.engine.load import Book
from massbal.engine.supply import ROUNDING_SHARE, ROUNDING_UNITS, compute_supply

from . import slips as S
from .balances import CLOSES_OTHER, COLUMNS, FLOW_KINDS, NEXT_STEPS, PRIOR_WEIGHT, empty, order

FLAGGED = ("OVERSOLD", "INVESTIGATE")
EXACT_PER_ROW = 2  # alternatives recomputed in full per flagged supply row
# Each exact recomputation rebuilds an ingredient's supply through every level of runs
# (about half a second on the demo): a run examines the worst flagged supply rows first
# and at most this many alternatives in all, so Reconcile stays seconds, not minutes.
EXACT_BUDGET = 10
NOT_EXAMINED = ("Not examined in this run: massbal tests single-cell corrections of the supply balances with the "
                "largest gaps first, and this one was beyond that limit. Look at the Investigations rows of the "
                "balances of the items that hold this ingredient, then check next: an organic receipt not entered "
                "(or entered as conventional), a run input or shipment keyed too high, counts of products holding it.")
RUN_KINDS = ("used", "produced")  # rows whose correction changes a run's make-up


def _band(available: float, tol: float) -> float:
    """The unaccounted amount compute_supply still calls PASS."""
    a = max(available, 0.0)
    return tol / 100.0 * a + max(ROUNDING_UNITS, ROUNDING_SHARE * a)


def _scope(ledger: pd.DataFrame, gen: Genealogy, ing: int) -> pd.DataFrame:
    """The ledger rows the supply of one ingredient depends on: every row of an item that
    holds it, and every row of a run that used it."""
    items = gen.item_comp.loc[gen.item_comp["ingredient_key"] == ing, "item_key"]
    batches = gen.batch_comp.loc[gen.batch_comp["ingredient_key"] == ing, "batch_key"]
    keep = ledger["item_key"].isin(items) | (ledger["batch_key"].isin(batches) & (ledger["batch_key"] != 0))
    return ledger[keep.to_numpy()]


def _exact(book: Book, scope: pd.DataFrame, i, qty_new: float, date_new, ing: int, periods,
           base_gen: Genealogy) -> pd.DataFrame:
    """The supply of `ing` in `periods` with row i corrected, by the engine's own code. A
    run's rows (inputs, outputs) change the make-up of what the run made, so the genealogy
    is rebuilt for them; any other row leaves it as it is (base_gen, built once)."""
    led = scope.drop(index=[i]) if qty_new == 0 else scope.copy()
    if qty_new != 0:
        led.loc[i, "qty"] = qty_new
        led.loc[i, "effect"] = np.sign(scope.loc[i, "effect"]) * qty_new
    if pd.notna(date_new):
        led.loc[i, "date"] = date_new
    gen = build_genealogy(book, led)[0] if scope.at[i, "kind"] in RUN_KINDS else base_gen
    return compute_supply(book, led, gen, periods, {ing})[0]


def explain_supply(book: Book, ledger: pd.DataFrame, gen: Genealogy, yields: pd.DataFrame, supply: pd.DataFrame,
                   periods) -> pd.DataFrame:
    if supply.empty or not supply["status"].isin(FLAGGED).any():
        return empty()
    rows_out = []
    names = book.items["item"]
    key_of = {str(n): k for k, n in names.items()}
    flagged = supply[supply["status"].isin(FLAGGED)]
    # the worst gaps first (by share of what was available), so the budget goes where it matters
    worst = (flagged["unaccounted"].abs() / flagged["available"].abs().clip(lower=1.0)).sort_values(
        ascending=False, kind="stable")
    budget = [EXACT_BUDGET]
    for f in flagged.loc[worst.index].to_dict("records"):
        ing = key_of.get(str(f["ingredient"]))
        left = budget[0]
        found = _one(book, ledger, gen, yields, f, ing, periods, supply, budget) if ing is not None and left > 0 else []
        if not found:
            why = NEXT_STEPS["OVERSOLD"] if left > 0 else NOT_EXAMINED
            found = [{"figure": "Supply", "item": f["ingredient"], "owner": f["owner"], "start": f["start"],
                      "end": f["end"], "variance": f["unaccounted"], "explanation": why}]
        rows_out += found
    return order(pd.DataFrame(rows_out).reindex(columns=COLUMNS))


def _one(book, ledger, gen, yields, f, ing, periods, supply, budget: list[int]) -> list[dict]:
    """budget[0]: exact recomputations left for this run (taken from as they are spent)."""
    scope = _scope(ledger, gen, ing)
    start, end = pd.Timestamp(f["start"]), pd.Timestamp(f["end"])
    owner_rows = scope["owner"].astype(object).where(scope["owner_key"] != 0, None)
    mine = scope[(owner_rows.fillna("") == (f["owner"] or "")).to_numpy()]
    kind = mine["kind"].astype(object)
    inside = (mine["date"] >= start) & (mine["date"] <= end)
    near = (mine["date"] >= start - pd.Timedelta(days=S.EDGE_DAYS)) & (mine["date"] <= end + pd.Timedelta(days=S.EDGE_DAYS))
    dated = kind.isin([k for k in FLOW_KINDS if k != "used"]) & near  # run inputs carry their batch's date
    rows = mine[(kind.isin(FLOW_KINDS) & inside) | ((kind == "count") & (mine["date"] == end)) | dated]
    if rows.empty:
        return []
    typed = S.typed_rows(book, rows)
    in_p = typed[((typed["date"] >= start) & (typed["date"] <= end)).to_numpy()]
    starts = np.array([p[0] for p in periods], dtype="datetime64[ns]")
    ends = np.array([p[1] for p in periods], dtype="datetime64[ns]")
    moves = S.date_slips(typed[typed["_i"].isin(dated[dated].index).to_numpy()], starts, ends)
    was_in = typed.loc[moves["_i"].to_numpy(), "date"].between(start, end).to_numpy()
    now_in = ((moves["date_new"] >= start) & (moves["date_new"] <= end)).to_numpy()
    moves = moves[was_in != now_in]
    # relative to this period a move out is a removal, a move in an addition
    moves = moves.assign(qty_new=np.where(now_in[was_in != now_in], 2 * moves["qty_new"].to_numpy(), 0.0))
    alts = pd.concat([S.digit_shifts(in_p), S.transpositions(in_p), S.unit_slips(in_p, book.settings.unit),
                      S.duplicate_rows(in_p, S.duplicates(mine)), moves], ignore_index=True)
    if alts.empty:
        return []
    alts = alts.assign(prior=alts["prior"].to_numpy() + S.run_fit(typed, alts, yields, ledger))
    # the row's present share of the ingredient, and whether its item is counted at the end
    eq = equivalents(rows, gen, tuple(FLOW_KINDS) + ("count",))
    eq = eq[eq["ingredient_key"] == ing]
    frac = (eq.groupby("_i")["value"].sum() / rows["qty"].reindex(eq.groupby("_i")["value"].sum().index)).to_dict()
    bfrac = gen.batch_comp[gen.batch_comp["ingredient_key"] == ing].set_index("batch_key")["frac"].to_dict()
    counted = set(zip(*[ledger.loc[(ledger["kind"] == "count").to_numpy() & (ledger["date"] == end).to_numpy(), c]
                        for c in ("item_key", "owner_key")], strict=True))
    r = typed.loc[alts["_i"].to_numpy()]
    dq = alts["qty_new"].to_numpy() - r["qty"].to_numpy()
    fr = np.array([frac.get(i, 0.0) for i in r["_i"]])
    fb = np.array([bfrac.get(b, 0.0) for b in r["batch_key"]])
    cnt = np.array([(a, o) in counted for a, o in zip(r["item_key"], r["owner_key"], strict=True)])
    k = r["kind"].astype(object).to_numpy()
    est = np.select(
        [k == "receipt", np.isin(k, ["shipped", "loss"]), k == "used", k == "produced", k == "count"],
        [np.where(cnt, dq * fr, 0.0), np.where(cnt, -dq * fr, 0.0), -dq * fb + np.where(cnt, 0.0, dq * fr),
         dq * fb - np.where(cnt, 0.0, dq * fr), -dq * fr], 0.0)
    after = f["unaccounted"] + est
    band = _band(f["available"], f["tolerance_pct"])
    alts = alts.assign(est=np.abs(after), fits=np.abs(after) <= 3 * band)
    alts = alts[alts["fits"]].sort_values(["est", "prior"], kind="stable").head(min(EXACT_PER_ROW, budget[0]))
    budget[0] -= len(alts)
    out = []
    base_gen = build_genealogy(book, scope)[0] if len(alts) else None
    for a in alts.to_dict("records"):
        moved = pd.notna(a["date_new"])
        qty = typed.loc[a["_i"], "qty"] if moved else a["qty_new"]  # a move keeps the quantity
        # only the periods the correction can change: this one, and the one a date moves to or from
        src_date = typed.loc[a["_i"], "date"]
        wanted = [p for p in periods if p[0] <= end and p[1] >= start
                  or (moved and (p[0] <= pd.Timestamp(a["date_new"]) <= p[1] or p[0] <= src_date <= p[1]))]
        sup = _exact(book, scope, a["_i"], qty, a["date_new"], ing, wanted, base_gen)
        hit = sup[(sup["start"] == start) & (sup["owner"].fillna("") == (f["owner"] or ""))]
        if hit.empty or hit.iloc[0]["status"] != "PASS":
            continue
        h = hit.iloc[0]
        other = {}
        if moved:  # the other period the row moves from or to
            src_date = typed.loc[a["_i"], "date"]
            od = pd.Timestamp(a["date_new"]) if start <= src_date <= end else src_date
            o = sup[(sup["start"] <= od) & (sup["end"] >= od) & (sup["owner"].fillna("") == (f["owner"] or ""))]
            if len(o):
                o = o.iloc[0]
                was = supply[(supply["ingredient"] == f["ingredient"]) & (supply["start"] == o["start"]) &
                             (supply["owner"].fillna("") == (f["owner"] or ""))]["status"]
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
