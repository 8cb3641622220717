"""Trace a lot back to its receipts and forward to its customers; a mock recall.

A lot is (item, lot number). Shares follow CONTRACT section 2: each kilogram of a run's
output holds the run's inputs in proportion to their mass. So

- back: a run that made the traced lot gives it `output / all outputs of the run` of
  every input row; an input lot that came from several sources (receipts, runs) passes
  its demand on to each source in proportion to what that source brought in;
- forward: the traced lot is `frac` of every lot downstream (1 for itself); a run whose
  inputs hold it carries `sum(input * frac) / all inputs` into each of its outputs and
  into its process loss. What the lot became (shipments + losses + process losses +
  stock on hand) therefore adds up to what came into being of the lot.

Runs are visited level by level (genealogy.batch_level: a run comes after every run
that made its inputs), each level in one vectorised step, so the work grows with the
depth of the bill of materials, not with the number of rows. Everything returned is a
pydantic model, shared by the JSON, the Trace/Recall sheets and the PDF.
"""
from __future__ import annotations

import time
from types import SimpleNamespace
from dataclasses import dataclass
from datetime import date, datetime
from datetime import date as Day  # a field named 'date' hides the type inside a model
from typing import Literal, Optional

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from massbal.engine.api import Prepared
from massbal.engine.genealogy import LOT
from massbal.engine.load import MOVEMENT_TABLES
from massbal.engine.roll import EPS
from massbal.engine.load import BLANK

StepKind = Literal["receipt", "opening stock", "input", "output", "shipment", "loss",
                   "process loss", "on hand", "harvest", "farm use"]
CERT_CODES = ("CERT_MISSING", "CERT_UNKNOWN", "CERT_EXPIRED", "CERT_SCOPE")
NO_LOCATION = "(no location recorded)"
NO_CUSTOMER = "(no customer recorded)"


# ------------------------------------------------------------------ the result

class TraceStep(BaseModel):
    """One link of a trace. `quantity` is always the traced lot's part, in the report unit."""
    kind: StepKind
    depth: int  # runs between the traced lot and this step (0: the lot itself)
    date: Optional[Day] = None
    lot: Optional[str] = None
    item: str
    quantity: float
    pct_of_lot: Optional[float] = None  # quantity as % of the traced lot
    row_quantity: Optional[float] = None  # the whole row (receipt, input, shipment ...), report unit
    pct_of_row: Optional[float] = None  # quantity as % of that row
    entered: Optional[str] = None  # that row's quantity as typed, e.g. "40 case"
    via_lot: Optional[str] = None  # back: the lot this went into; forward: the lot it came from
    via_item: Optional[str] = None
    batch: Optional[str] = None
    supplier: Optional[str] = None
    supplier_lot: Optional[str] = None
    certificate: Optional[str] = None
    certifier: Optional[str] = None
    certificate_valid: Optional[bool] = None  # on the receipt date; None: not an organic input
    field: Optional[str] = None  # a farm's harvest: the field and season (harvest year) it came from
    season: Optional[int] = None
    certificate_note: Optional[str] = None
    customer: Optional[str] = None
    location: Optional[str] = None
    reference: Optional[str] = None
    counted: Optional[float] = None  # on hand steps: the latest count of the lot there
    counted_on: Optional[Day] = None
    equivalents: dict[str, float] = Field(default_factory=dict)  # organic ingredient -> report unit
    sheet: Optional[str] = None
    row: Optional[int] = None


class OpenQuestion(BaseModel):
    """A link the trace could not follow, with the row to look at."""
    message: str
    lot: Optional[str] = None
    item: Optional[str] = None
    sheet: Optional[str] = None
    row: Optional[int] = None


class Accounting(BaseModel):
    """Where the traced lot went, summed from the forward trace (report unit)."""
    total: float  # what came into being of the lot: received + produced + opening count
    shipped: float
    losses: float
    process_loss: float
    on_hand: float
    unaccounted: float  # total - shipped - losses - process_loss - on_hand - farm_use
    farm_use: float = 0.0  # a farm's own use: seed planted, feed fed, inputs applied


class LotTrace(BaseModel):
    lot: str
    item: str
    unit: str
    origin: str  # received / produced / opening count / received and produced / unknown
    total: float
    composition: dict[str, float] = Field(default_factory=dict)  # organic ingredient -> fraction
    back: list[TraceStep]
    forward: list[TraceStep]
    open_questions: list[OpenQuestion]
    accounted: Accounting
    seconds: float


class RecallCustomer(BaseModel):
    customer: str
    shipments: int
    quantity: float  # the recalled lot's part of what they received, report unit
    shipped: float  # what they received of the shipped lots, report unit
    lots: list[str]
    first_date: Optional[Day]
    last_date: Optional[Day]


class Recall(BaseModel):
    lot: str
    item: str
    unit: str
    total: float
    generated: datetime
    customers: list[RecallCustomer]
    shipments: list[TraceStep]
    on_hand: list[TraceStep]  # stock to quarantine, by lot and location
    open_questions: list[OpenQuestion]
    accounted: Accounting
    seconds: float


class LotNotFound(LookupError):
    def __init__(self, lot: str, suggestions: list[str]):
        self.lot, self.suggestions = lot, suggestions
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No receipt, run, shipment or count has lot '{lot}'.{hint}")


class AmbiguousLot(LookupError):
    """The lot number exists for several items; the caller asks which, or traces each."""
    def __init__(self, lot: str, items: list[str]):
        self.lot, self.items = lot, items
        super().__init__(f"Lot '{lot}' exists for {len(items)} items ({', '.join(items)}). "
                         "Say which item (--item), or trace each.")


# ------------------------------------------------------------------ the lot graph

@dataclass(frozen=True)
class _Graph:
    """What every trace needs, built once per prepared workbook."""
    prep: Prepared
    lots: pd.DataFrame  # ledger rows that name a lot
    totals: pd.Series  # by (item_key, lot_key): received + produced + opening count
    sources: pd.DataFrame  # LOT + kind, qty, date, row, sheet, batch_key: how each lot came in
    used: pd.DataFrame  # run input rows
    produced: pd.DataFrame  # run output rows
    run_in: pd.Series  # batch_key -> sum of inputs
    run_out: pd.Series  # batch_key -> sum of outputs
    level: pd.Series  # batch_key -> level (-1: in a cycle)
    item_names: pd.Series  # item_key -> item
    lot_names: pd.Series  # (item_key, lot_key) -> lot as first typed
    typed: pd.DataFrame  # sheet, row, q, u: every movement row's quantity and unit as typed


def _graph(prep: Prepared) -> _Graph:
    led = prep.ledger
    # many small takes follow: plain object columns are much cheaper there than arrow strings
    text = [c for c in led.columns if pd.api.types.is_string_dtype(led[c].dtype) and led[c].dtype != object]
    led = led.astype({c: object for c in text})
    lots = led[led["lot_key"] != BLANK]
    inflow = lots[lots["kind"].isin(("receipt", "produced", "harvested"))]
    # a lot first seen in a count (opening stock) came in with that first count
    made = pd.MultiIndex.from_frame(inflow[LOT]).unique() if len(inflow) else pd.MultiIndex.from_tuples([], names=LOT)
    counts = lots[lots["kind"] == "count"]
    if len(counts):
        is_new = ~pd.MultiIndex.from_frame(counts[LOT]).isin(made)
        counts = counts[is_new]
        first = counts.groupby(LOT, sort=False)["date"].transform("min")
        counts = counts[(counts["date"] == first).to_numpy()].assign(kind="opening stock")
    sources = pd.concat([inflow, counts], ignore_index=False)
    totals = sources.groupby(LOT, sort=False)["qty"].sum()
    level = prep.genealogy.batch_level
    used = led[led["kind"] == "used"]
    used = used.assign(level=used["batch_key"].map(level).fillna(-1).astype(int).to_numpy())
    produced = led[led["kind"] == "produced"]
    produced = produced.assign(level=produced["batch_key"].map(level).fillna(-1).astype(int).to_numpy())
    run_in = used.groupby("batch_key", sort=False)["qty"].sum()
    run_out = produced.groupby("batch_key", sort=False)["qty"].sum()
    items = prep.book.items["item"]
    names = lots.drop_duplicates(LOT).set_index(LOT)["lot"]
    return _Graph(prep, lots, totals, sources, used, produced, run_in, run_out,
                  prep.genealogy.batch_level, items, names, _typed(prep.book))


def _levels(g: _Graph) -> range:
    lv = g.level[g.level >= 0]
    return range(int(lv.max()) + 1 if len(lv) else 0)


def _at_level(frame: pd.DataFrame, g: _Graph, lvl: int) -> pd.DataFrame:
    return frame[frame["level"].to_numpy() == lvl]


def _accumulate(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    return frame.groupby(LOT, sort=False).agg(**{value: (value, "sum"), "depth": ("depth", "min")}).reset_index()


# ------------------------------------------------------------------ finding the lot

class Tracer:
    """Traces lots of one prepared workbook (the graph is built once)."""

    def __init__(self, prep: Prepared):
        self.prep = prep
        self.g = _graph(prep)

    # -- which lot is meant
    def find(self, lot: str, item: str | None = None) -> list[tuple[str, str]]:
        """(item_key, lot_key) pairs the user may mean; raises LotNotFound."""
        g = self.g
        book = self.prep.book
        code = book.code("lot", lot)
        want_item = book.code("item", item) if item is not None else None
        def pairs_of(frame: pd.DataFrame, key: str, code) -> list[tuple[str, str]]:
            hits = frame[frame[key] == code] if code else frame.iloc[:0]
            if item is not None:
                hits = hits[hits["item_key"] == want_item]
            return list(dict.fromkeys(zip(hits["item_key"], hits["lot_key"])))
        pairs = pairs_of(g.lots, "lot_key", code)
        if pairs:
            return pairs
        # a batch number given instead of a lot: its output lots
        pairs = pairs_of(g.produced, "batch_key", book.code("batch", lot))
        if pairs:
            return pairs
        # a field given instead of a lot: every lot harvested from it (trace forward from a field)
        harvests = g.sources[g.sources["kind"] == "harvested"]
        if len(harvests):
            from massbal.engine.farm_ledger import field_keys
            from massbal.engine.schema import name_key
            hits = harvests[field_keys(harvests["partner"]) == name_key(lot)]
            if item is not None:
                hits = hits[hits["item_key"] == want_item]
            if len(hits):
                return list(dict.fromkeys(zip(hits["item_key"], hits["lot_key"], strict=True)))
        import difflib  # only on a miss
        names = pd.unique(g.lots["lot"].astype(str))
        raise LotNotFound(lot, difflib.get_close_matches(str(lot), list(names), n=3, cutoff=0.6))

    def resolve(self, lot: str, item: str | None = None) -> tuple[str, str]:
        pairs = self.find(lot, item)
        if len(pairs) > 1:
            raise AmbiguousLot(lot, [self._item(i) for i, _ in pairs])
        return pairs[0]

    def _item(self, item_key: str) -> str:
        return str(self.g.item_names.get(item_key, item_key))

    def _lot(self, pair: tuple[str, str]) -> str:
        return str(self.g.lot_names.get(pair, pair[1]))

    # -- the traces
    def trace(self, lot: str, item: str | None = None) -> LotTrace:
        t0 = time.perf_counter()
        target = self.resolve(lot, item)
        return self.trace_pair(target, t0)

    def trace_each(self, lot: str, item: str | None = None) -> list[LotTrace]:
        t0 = time.perf_counter()
        return [self.trace_pair(p, t0) for p in self.find(lot, item)]

    def trace_pair(self, target: tuple[str, str], t0: float | None = None) -> LotTrace:
        t0 = t0 if t0 is not None else time.perf_counter()
        g = self.g
        total = float(g.totals.get(target, 0.0))
        back, q_back = _back(g, target, total)
        fwd, q_fwd, fracs = _forward(g, target)
        comp = self._composition(target)
        fwd = _add_equivalents(fwd, comp)
        acc = _accounting(total, fwd)
        questions = q_back + q_fwd
        if abs(acc["unaccounted"]) > max(EPS, 1e-6 * total) and total > 0:
            questions.append(OpenQuestion(
                lot=self._lot(target), item=self._item(target[0]),
                message=(f"{acc['unaccounted']:,.2f} {self.prep.unit} of lot {self._lot(target)} is not "
                         "accounted for by shipments, losses and stock on hand: "
                         + ("more went out than came in; look for a missing receipt or run output."
                            if acc["unaccounted"] < 0 else "look for a missing shipment, loss or run input."))))
        if total <= 0:
            questions.append(OpenQuestion(
                lot=self._lot(target), item=self._item(target[0]),
                message=f"Lot {self._lot(target)} of {self._item(target[0])} never came in: no receipt, "
                        "run output or count has it, so it has no origin to trace."))
        return LotTrace(
            lot=self._lot(target), item=self._item(target[0]), unit=self.prep.unit,
            origin=_origin(g, target), total=round(total, 6), composition=comp,
            back=_steps(g, back, total), forward=_steps(g, fwd, total),
            open_questions=questions, accounted=Accounting(**acc),
            seconds=round(time.perf_counter() - t0, 4))

    def recall(self, lot: str, item: str | None = None, started: float | None = None) -> Recall:
        t0 = started if started is not None else time.perf_counter()
        target = self.resolve(lot, item)
        tr = self.trace_pair(target, t0)
        return recall_of(tr, t0)

    def _composition(self, target: tuple[str, str]) -> dict[str, float]:
        lc = self.prep.genealogy.lot_comp
        c = lc[(lc["item_key"] == target[0]) & (lc["lot_key"] == target[1])]
        return {self._item(k): round(float(f), 9) for k, f in zip(c["ingredient_key"], c["frac"])}


def recall_of(tr: LotTrace, t0: float) -> Recall:
    ships = [s for s in tr.forward if s.kind == "shipment"]
    stock = [s for s in tr.forward if s.kind == "on hand"]
    customers = []
    if ships:
        f = pd.DataFrame([{"customer": s.customer or NO_CUSTOMER, "quantity": s.quantity,
                           "shipped": s.row_quantity or 0.0, "lot": s.lot or "", "date": s.date}
                          for s in ships])
        f["date"] = pd.to_datetime(f["date"])
        agg = f.groupby("customer", sort=True).agg(
            shipments=("quantity", "size"), quantity=("quantity", "sum"), shipped=("shipped", "sum"),
            lots=("lot", lambda s: sorted(set(s) - {""})), first_date=("date", "min"), last_date=("date", "max"))
        agg = agg.sort_values("quantity", ascending=False, kind="stable")
        customers = [RecallCustomer(customer=c, shipments=int(r.shipments), quantity=round(float(r.quantity), 6),
                                    shipped=round(float(r.shipped), 6), lots=list(r.lots),
                                    first_date=_d(r.first_date), last_date=_d(r.last_date))
                     for c, r in agg.iterrows()]  # one row per customer, a handful
    return Recall(lot=tr.lot, item=tr.item, unit=tr.unit, total=tr.total, generated=datetime.now(),
                  customers=customers, shipments=ships, on_hand=stock, open_questions=tr.open_questions,
                  accounted=tr.accounted, seconds=round(time.perf_counter() - t0, 4))


# ------------------------------------------------------------------ back

def _back(g: _Graph, target: tuple[str, str], total: float) -> tuple[pd.DataFrame, list[OpenQuestion]]:
    demand = pd.DataFrame({"item_key": [target[0]], "lot_key": [target[1]], "amount": [total], "depth": [0]})
    steps, questions = [], []
    for lvl in reversed(_levels(g)):
        prod = _at_level(g.produced, g, lvl)
        if prod.empty:
            continue
        prod = prod.reset_index().merge(demand, on=LOT)
        if prod.empty:
            continue
        prod["total"] = prod.set_index(LOT).index.map(g.totals).to_numpy(dtype=float)
        # the part of each demanded lot's demand met by this run's output row, as a share
        # of everything the run made: that share of each input went into that lot
        prod["need"] = prod["amount"] * prod["qty"] / prod["total"]
        per_out = prod.groupby(["batch_key"] + LOT, sort=False).agg(
            need=("need", "sum"), depth=("depth", "min"), via_lot=("lot", "first"), via_item=("item", "first"))
        per_out = per_out.reset_index(level=LOT, drop=True)
        out = g.run_out.reindex(per_out.index).to_numpy(dtype=float)
        per_out["ratio"] = np.divide(per_out["need"].to_numpy(), out, out=np.zeros(len(out)), where=out > 0)
        inputs = g.used[g.used["batch_key"].isin(per_out.index)].reset_index()
        empty_runs = per_out.index.unique().difference(inputs["batch_key"])
        for b in empty_runs:  # a handful at most: runs with outputs and no inputs recorded
            r = prod[prod["batch_key"] == b].iloc[0]
            questions.append(OpenQuestion(
                lot=str(r["lot"]), item=str(r["item"]), sheet=str(r["sheet"]), row=int(r["row"]),
                message=f"Batch {r['batch']} made lot {r['lot']} but BatchInputs lists nothing it used, "
                        "so the trace back stops here. Record the run's input lots."))
        if inputs.empty:
            continue
        # one step per input row and lot it went into (a run reached along two paths shows both)
        inputs = inputs.merge(per_out[["ratio", "depth", "via_lot", "via_item"]].reset_index(), on="batch_key")
        inputs["amount"] = inputs["qty"] * inputs["ratio"]
        inputs["depth"] = inputs["depth"] + 1
        steps.append(inputs.assign(step="input"))
        demand = _accumulate(pd.concat([demand, inputs[LOT + ["amount", "depth"]]], ignore_index=True), "amount")
    demand = demand[demand["amount"].abs() > 0]

    # receipts and opening counts: the ends of the trace
    src = g.sources[g.sources["kind"].isin(("receipt", "opening stock", "harvested"))].reset_index().merge(demand, on=LOT)
    if len(src):
        src["total"] = src.set_index(LOT).index.map(g.totals).to_numpy(dtype=float)
        src["amount"] = src["amount"] * src["qty"] / src["total"]
        src = _receipt_details(g, src)
        steps.append(src.assign(step=src["kind"].astype(object).map({"opening stock": "opening stock",
                                                                     "harvested": "harvest"}).fillna("receipt")))
        for r in _each(src[src["kind"] == "opening stock"].drop_duplicates(LOT)):
            questions.append(OpenQuestion(
                lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                message=f"Lot {r.lot} of {r.item} first appears in the count of {r.date:%Y-%m-%d} "
                        "(opening stock): where it came from is not in this workbook."))
        bad = src[(src["kind"] == "receipt") & (src["certificate_valid"] == False)]  # noqa: E712
        for r in _each(bad):
            questions.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                          message=str(r.certificate_note)))
    # demanded lots that never came in, and lots made only by runs caught in a cycle
    known = demand.set_index(LOT).index.isin(g.totals.index)
    for r in _each(demand[~known]):
        questions.append(_never_arrived(g, (r.item_key, r.lot_key)))
    cyc = g.produced[g.produced["level"].to_numpy() < 0].merge(demand[LOT], on=LOT)
    for r in _each(cyc.drop_duplicates("batch_key")):
        questions.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                      message=f"Batch {r.batch} is part of a circle of lot links (LOT_CYCLE), "
                                              "so the trace back does not go through it."))
    frame = pd.concat(steps, ignore_index=True) if steps else pd.DataFrame()
    return frame, questions


def _never_arrived(g: _Graph, pair: tuple[str, str]) -> OpenQuestion:
    rows = g.used[(g.used["item_key"] == pair[0]) & (g.used["lot_key"] == pair[1])]
    r = rows.iloc[0] if len(rows) else None
    lot = str(r["lot"]) if r is not None else pair[1]
    item = str(g.item_names.get(pair[0], pair[0]))
    return OpenQuestion(lot=lot, item=item, sheet=str(r["sheet"]) if r is not None else None,
                        row=int(r["row"]) if r is not None else None,
                        message=f"Lot {lot} of {item} was used but never came in: no receipt, run output or "
                                "count has it, so its supplier and certificate cannot be traced. "
                                "Check the lot number on this row.")


def _receipt_details(g: _Graph, src: pd.DataFrame) -> pd.DataFrame:
    """Supplier, supplier lot, certificate and its validity on the receipt date."""
    book = g.prep.book
    R = book.tables["Receipts"].set_index("_row")
    is_rec = (src["kind"] == "receipt").to_numpy()
    rr = R.reindex(src["row"].where(is_rec, -1))
    src = src.assign(supplier=rr["supplier"].to_numpy(), supplier_lot=rr["supplier_lot"].to_numpy(),
                     certificate_key=rr["certificate_key"].to_numpy(), supplier_key=rr["supplier_key"].to_numpy())
    certs = book.tables["Certificates"]
    by_num = certs.drop_duplicates("certificate_key").set_index("certificate_key")
    c = by_num.reindex(src["certificate_key"].fillna(BLANK))
    src["certifier"] = c["certifier"].to_numpy()
    # a receipt that names no certificate is judged by its supplier's (as checks.py does)
    blank = src["certificate_key"].fillna(BLANK).eq(BLANK) & is_rec
    if blank.any() and len(certs):
        cand = src[blank].reset_index().merge(certs[["supplier_key", "certificate", "certifier", "valid_from", "valid_to"]]
                                              .rename(columns={"certificate": "c_cert", "certifier": "c_certifier"}),
                                              on="supplier_key")
        vf = cand["valid_from"].fillna(pd.Timestamp("1900-01-01"))
        cand = cand.assign(ok=(cand["date"] >= vf) & (cand["date"] <= cand["valid_to"]))
        cand = cand.sort_values(["index", "ok"], ascending=[True, False]).drop_duplicates("index").set_index("index")
        src.loc[cand.index, "certificate"] = cand["c_cert"]
        src.loc[cand.index, "certifier"] = cand["c_certifier"]
    # validity: the certificate findings of prepare() for these receipt rows
    f = g.prep.findings
    sheet = book.sheets["Receipts"]
    cf = f[(f["sheet"] == sheet) & f["code"].isin(CERT_CODES)].drop_duplicates("row")
    note = pd.Series(cf["message"].to_numpy(), index=cf["row"].astype("int64").to_numpy())
    organic = src["organic"].fillna(True).astype(bool) & is_rec
    agricultural = src["item_key"].map(book.items["agricultural"]).fillna(True).astype(bool)
    judged = organic & agricultural
    has_issue = src["row"].isin(note.index) & judged
    src["certificate_valid"] = np.where(judged, ~has_issue, None)
    src["certificate_note"] = np.where(has_issue, src["row"].map(note), np.where(
        is_rec & ~organic, "Conventional (non-organic) lot: no certificate applies.",
        np.where(is_rec & ~agricultural, "Not an agricultural ingredient: no certificate needed.", None)))
    return src


# ------------------------------------------------------------------ forward

def _forward(g: _Graph, target: tuple[str, str]) -> tuple[pd.DataFrame, list[OpenQuestion], pd.DataFrame]:
    fracs = pd.DataFrame({"item_key": [target[0]], "lot_key": [target[1]], "frac": [1.0], "depth": [0]})
    steps, questions = [], []
    for lvl in _levels(g):
        u = _at_level(g.used, g, lvl).reset_index().merge(fracs, on=LOT)
        if u.empty:
            continue
        u["amount"] = u["qty"] * u["frac"]
        runs = u.groupby("batch_key", sort=False).agg(held=("amount", "sum"), depth=("depth", "min"),
                                                      via_lot=("lot", _join), via_item=("item", _join))
        inp = g.run_in.reindex(runs.index).to_numpy(dtype=float)
        runs["frac"] = np.divide(runs["held"].to_numpy(), inp, out=np.zeros(len(inp)), where=inp > 0)
        runs["depth"] = runs["depth"] + 1
        steps.append(u.assign(step="input", depth=u["depth"]))  # the input row sits with its lot
        out = g.produced[g.produced["batch_key"].isin(runs.index)].reset_index()
        out = out.join(runs[["frac", "depth", "via_lot", "via_item"]], on="batch_key")
        out["frac"] = out["frac"].astype(float)
        out["amount"] = out["qty"] * out["frac"]
        steps.append(out.assign(step="output"))
        # process loss: inputs minus outputs of the run, the traced lot's share of it
        loss = runs["held"] - runs["frac"] * g.run_out.reindex(runs.index).fillna(0.0)
        head = out.drop_duplicates("batch_key").set_index("batch_key")
        pl = pd.DataFrame({"batch_key": runs.index, "amount": loss.to_numpy(), "depth": runs["depth"].to_numpy(),
                           "via_lot": runs["via_lot"].to_numpy(), "via_item": runs["via_item"].to_numpy()})
        pl = pl.join(head[["batch", "date", "location", "item", "item_key"]], on="batch_key")
        pl["item"] = pl["item"].fillna(pl["via_item"])
        pl["batch"] = pl["batch"].fillna(pl["batch_key"])
        steps.append(pl.assign(step="process loss", lot=None, qty=np.nan, row=None, sheet=None))
        # the traced lot's content of each output lot
        made = out.assign(total=out.set_index(LOT).index.map(g.totals).to_numpy(dtype=float))
        made = made[~((made["item_key"] == target[0]) & (made["lot_key"] == target[1]))]
        made["frac"] = made["amount"] / made["total"]
        fracs = _accumulate(pd.concat([fracs, made[LOT + ["frac", "depth"]]], ignore_index=True), "frac")
    fracs = fracs[fracs["frac"] > 0]
    lots = g.lots.reset_index().merge(fracs, on=LOT)
    ships = lots[lots["kind"] == "shipped"].assign(step="shipment")
    losses = lots[lots["kind"] == "loss"].assign(step="loss")
    # a farm's own use of the lot: seed planted in a field, feed fed to a herd, an input applied
    own_use = lots[lots["kind"].isin(("farm use", "applied"))].assign(step="farm use")
    for frame in (ships, losses, own_use):
        frame["amount"] = frame["qty"] * frame["frac"]
    stock = _on_hand(g, lots)
    steps += [ships, losses, own_use, stock]
    questions += _forward_questions(g, lots, ships, fracs)
    if len(stock):
        for r in _each(stock[stock["stock"] < -EPS]):
            questions.append(OpenQuestion(
                lot=str(r.lot), item=str(r.item),
                message=f"More of lot {r.lot} left {r.location} than arrived there ({r.stock:,.2f} on the books): "
                        "a transfer, receipt or run output there may be missing."))
    frame = pd.concat([s for s in steps if len(s)], ignore_index=True) if any(len(s) for s in steps) else pd.DataFrame()
    return frame, questions, fracs


def _on_hand(g: _Graph, lots: pd.DataFrame) -> pd.DataFrame:
    """Book stock of each reached lot by location: inflows - outflows, transfers move it."""
    sign = {"receipt": 1.0, "produced": 1.0, "used": -1.0, "shipped": -1.0, "loss": -1.0,
            "transfer in": 1.0, "transfer out": -1.0, "harvested": 1.0, "farm use": -1.0, "applied": -1.0}
    m = lots[lots["kind"].isin(list(sign))].copy()
    if m.empty:
        return m
    # a row with no location is where the lot came in (its first inflow with a location)
    home = m[m["kind"].isin(("receipt", "produced", "harvested")) & m["location"].notna()].drop_duplicates(LOT)
    home = home.set_index(LOT)["location"]
    loc = m["location"].where(m["location"].notna(), m.set_index(LOT).index.map(home).to_numpy())
    m["location"] = loc.fillna(NO_LOCATION)
    m["stock"] = m["qty"] * m["kind"].map(sign).to_numpy()
    keys = LOT + ["location"]
    st = m.groupby(keys, sort=False).agg(stock=("stock", "sum"), frac=("frac", "first"), depth=("depth", "first"),
                                         lot=("lot", "first"), item=("item", "first"), date=("date", "max"))
    st = st[st["stock"].abs() > EPS].reset_index()
    if st.empty:
        return st
    c = g.lots[(g.lots["kind"] == "count")].merge(st[LOT].drop_duplicates(), on=LOT)
    if len(c):
        c = c.assign(location=c["location"].fillna(NO_LOCATION)).sort_values("date")
        last = c.groupby(keys, sort=False).agg(counted_on=("date", "last"))
        cq = c.merge(last.reset_index(), on=keys)
        cq = cq[cq["date"] == cq["counted_on"]].groupby(keys, sort=False).agg(
            counted=("qty", "sum"), counted_on=("counted_on", "first"))
        st = st.join(cq, on=keys)
    st["amount"] = st["stock"] * st["frac"]
    st["qty"] = st["stock"]
    return st.assign(step="on hand", row=None, sheet=None)


def _forward_questions(g: _Graph, lots: pd.DataFrame, ships: pd.DataFrame, fracs: pd.DataFrame) -> list:
    out = []
    for r in _each(ships[ships["partner"].isna()]):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                message=f"This shipment of lot {r.lot} names no customer: who received it?"))
    # stock losses of a reached item that name no lot, after the lot came in
    book, led = g.prep.book, g.prep.ledger
    first = lots[lots["kind"].isin(("receipt", "produced", "harvested"))].groupby("item_key")["date"].min()
    nolot = led[(led["kind"] == "loss") & (led["lot_key"] == BLANK) & led["item_key"].isin(first.index)]
    if len(nolot):  # (map of an empty Series cannot compare to dates)
        nolot = nolot[(nolot["date"] >= nolot["item_key"].map(first)).to_numpy()]
    for item_key, grp in nolot.groupby("item_key", sort=False):
        r = grp.iloc[0]
        out.append(OpenQuestion(item=str(r["item"]), sheet=str(r["sheet"]), row=int(r["row"]),
                                message=f"{len(grp)} loss row(s) of {r['item']} name no lot; any of them may be "
                                        "part of the traced lot. Add the lot to these Losses rows."))
    # run inputs left out of the ledger because their batch is not on Batches
    bi = book.tables["BatchInputs"]
    known = set(g.level.index)
    lost = bi[~bi["batch_key"].isin(known)].merge(fracs[LOT], on=LOT)
    for r in _each(lost):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=book.sheets["BatchInputs"], row=int(r._row),
                                message=f"Lot {r.lot} went into batch {r.batch}, which is not on the Batches "
                                        "sheet, so what it became cannot be followed."))
    # runs in a circle of lot links
    cyc = g.used[g.used["level"].to_numpy() < 0].merge(fracs[LOT], on=LOT)
    for r in _each(cyc.drop_duplicates("batch_key")):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                message=f"Batch {r.batch} is part of a circle of lot links (LOT_CYCLE), so the "
                                        "trace forward does not go through it."))
    return out


# ------------------------------------------------------------------ shaping

def _each(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Rows of a small frame as objects (question messages are built one per row)."""
    return [SimpleNamespace(**r) for r in frame.to_dict("records")] if len(frame) else []


def _join(s: pd.Series) -> str:
    return ", ".join(dict.fromkeys(s.astype(str)))


def _origin(g: _Graph, target: tuple[str, str]) -> str:
    s = g.sources[(g.sources["item_key"] == target[0]) & (g.sources["lot_key"] == target[1])]
    kinds = set(s["kind"])
    if not kinds:
        return "unknown"
    if kinds == {"opening stock"}:
        return "opening count"
    names = [k for k in ("receipt", "produced", "harvested") if k in kinds]
    return " and ".join({"receipt": "received", "produced": "produced", "harvested": "harvested"}[k] for k in names)


def _add_equivalents(fwd: pd.DataFrame, comp: dict[str, float]) -> pd.DataFrame:
    if fwd.empty:
        return fwd
    fwd = fwd.copy()
    fwd["equivalents"] = [{k: round(a * f, 6) for k, f in comp.items()} for a in fwd["amount"].to_numpy()]
    return fwd


def _accounting(total: float, fwd: pd.DataFrame) -> dict:
    def s(kind: str) -> float:
        return float(fwd.loc[fwd["step"] == kind, "amount"].sum()) if len(fwd) else 0.0
    acc = {"total": total, "shipped": s("shipment"), "losses": s("loss"), "process_loss": s("process loss"),
           "on_hand": s("on hand"), "farm_use": s("farm use")}
    acc["unaccounted"] = (total - acc["shipped"] - acc["losses"] - acc["process_loss"] - acc["on_hand"]
                          - acc["farm_use"])
    return {k: round(v, 6) + 0.0 for k, v in acc.items()}


# within one depth: back shows what went into a run, then where that lot came from;
# forward shows how a lot came out of a run, then where it went
_ORDER = {"output": 0, "input": 1, "receipt": 2, "opening stock": 2, "harvest": 2, "shipment": 2, "loss": 3,
          "farm use": 3,
          "process loss": 4, "on hand": 5}


def _steps(g: _Graph, frame: pd.DataFrame, total: float) -> list[TraceStep]:
    """Frame rows -> TraceStep models (the trace is small: the lots one lot touches)."""
    if frame is None or frame.empty:
        return []
    f = frame.copy()
    for c in ("partner", "supplier", "supplier_lot", "certificate", "certifier", "certificate_valid",
              "certificate_note", "location", "reference", "counted", "counted_on", "via_lot", "via_item",
              "batch", "equivalents", "lot", "date", "sheet", "row", "qty", "kind"):
        if c not in f:
            f[c] = None
    f["_o"] = f["step"].map(_ORDER)
    f = f.sort_values(["depth", "_o", "date", "item", "lot"], kind="stable", na_position="last")
    entered = _entered(g, f)
    out = []
    for i, r in enumerate(f.to_dict("records")):
        amount = float(r["amount"])
        rq = _num(r["qty"])
        step = r["step"]
        out.append(TraceStep(
            kind=step, depth=int(r["depth"]), date=_d(r["date"]), lot=_s(r["lot"]), item=str(r["item"]),
            quantity=round(amount, 6) + 0.0,
            pct_of_lot=round(100.0 * amount / total, 2) if total > 0 else None,
            row_quantity=round(rq, 6) if rq is not None else None,
            pct_of_row=round(100.0 * amount / rq, 2) if rq else None,
            entered=entered[i], via_lot=_s(r["via_lot"]) if step not in ("receipt", "opening stock", "harvest") else None,
            via_item=_s(r["via_item"]) if step not in ("receipt", "opening stock", "harvest") else None,
            field=_s(r["partner"]) if step in ("harvest", "farm use") else None,
            season=_d(r["date"]).year if step == "harvest" and _d(r["date"]) else None,
            batch=_s(r["batch"]) if step in ("input", "output", "process loss") else None,
            supplier=_s(r["supplier"]) if step == "receipt" else None,
            supplier_lot=_s(r["supplier_lot"]), certificate=_s(r["certificate"]) if step == "receipt" else None,
            certifier=_s(r["certifier"]), certificate_valid=_b(r["certificate_valid"]),
            certificate_note=_s(r["certificate_note"]),
            customer=(_s(r["partner"]) or NO_CUSTOMER) if step == "shipment" else None,
            location=_s(r["location"]), reference=_s(r["reference"]),
            counted=_num(r["counted"]), counted_on=_d(r["counted_on"]),
            equivalents=r["equivalents"] if isinstance(r["equivalents"], dict) else {},
            sheet=_s(r["sheet"]), row=int(r["row"]) if _num(r["row"]) is not None else None))
    return out


def _typed(book) -> pd.DataFrame:
    parts = [pd.DataFrame({"sheet": book.sheets[t], "row": book.tables[t]["_row"].to_numpy(dtype=float),
                           "q": book.tables[t]["quantity"].to_numpy(), "u": book.tables[t]["unit"].to_numpy()})
             for t in MOVEMENT_TABLES if t in book.tables and len(book.tables[t])]
    if not parts:
        return pd.DataFrame({"sheet": pd.Series(dtype=object), "row": pd.Series(dtype=float), "q": [], "u": []})
    t = pd.concat(parts, ignore_index=True).drop_duplicates(["sheet", "row"])
    return t.astype({"sheet": object, "u": object})


def typed_quantities(book, sheet: pd.Series, row: pd.Series, typed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quantity and unit as the user typed them, for rows named by (sheet, row)."""
    t = typed if typed is not None else _typed(book)
    keys = pd.DataFrame({"sheet": pd.Series(sheet).astype(object).to_numpy(),
                         "row": pd.to_numeric(pd.Series(row), errors="coerce").to_numpy(dtype=float)})
    return keys.merge(t, on=["sheet", "row"], how="left")


def _entered(g: _Graph, f: pd.DataFrame) -> list[str | None]:
    """Each row's quantity as the user typed it ("40 case")."""
    m = typed_quantities(g.prep.book, f["sheet"], f["row"], g.typed)
    return [None if pd.isna(q) else f"{_fmt_qty(q)} {u}".strip() for q, u in zip(m["q"], m["u"].fillna(""))]


def _fmt_qty(q: float) -> str:
    return f"{q:,.0f}" if float(q).is_integer() else f"{q:,.4f}".rstrip("0").rstrip(".")


def _num(v) -> float | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(x) else x


def _s(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v)
    return s if s.strip() else None


def _b(v) -> bool | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return bool(v)


def _d(v) -> date | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


# ------------------------------------------------------------------ front doors

def trace(prep: Prepared, lot: str, item: str | None = None) -> LotTrace:
    return Tracer(prep).trace(lot, item)


def recall(prep: Prepared, lot: str, item: str | None = None, started: float | None = None) -> Recall:
    return Tracer(prep).recall(lot, item, started)
