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

import pandas as pd

from massbal.engine.prepared import Prepared
from massbal.engine.roll import EPS

from .back import back
from .forward import forward
from .graph import Graph, day, flag, graph_of, num, text_or_none, typed_quantities
from .model import NO_CUSTOMER, Accounting, AmbiguousLot, LotNotFound, LotTrace, OpenQuestion, TraceStep


class Tracer:
    """Traces lots of one prepared workbook (the graph is built once and kept with it).
    Faces call engine.api.trace_lots / recall, not this."""

    def __init__(self, prep: Prepared):
        self.prep = prep
        self.g = graph_of(prep)

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
            return list(dict.fromkeys(zip(hits["item_key"], hits["lot_key"], strict=True)))
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
            from massbal.engine.farm.farm_ledger import field_keys
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

    # -- the trace of one lot
    def trace_pair(self, target: tuple[str, str], t0: float | None = None) -> LotTrace:
        t0 = t0 if t0 is not None else time.perf_counter()
        g = self.g
        total = float(g.totals.get(target, 0.0))
        bwd, q_back = back(g, target, total)
        fwd, q_fwd, fracs = forward(g, target)
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
            back=_steps(g, bwd, total), forward=_steps(g, fwd, total),
            open_questions=questions, accounted=Accounting(**acc),
            seconds=round(time.perf_counter() - t0, 4))

    def _composition(self, target: tuple[str, str]) -> dict[str, float]:
        lc = self.prep.genealogy.lot_comp
        c = lc[(lc["item_key"] == target[0]) & (lc["lot_key"] == target[1])]
        return {self._item(k): round(float(f), 9) for k, f in zip(c["ingredient_key"], c["frac"], strict=True)}


def _origin(g: Graph, target: tuple[str, str]) -> str:
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
           "on_hand": s("on hand")}
    acc["farm_use"] = s("farm use")
    acc["unaccounted"] = (total - acc["shipped"] - acc["losses"] - acc["process_loss"] - acc["on_hand"]
                          - acc["farm_use"])
    return {k: round(v, 6) + 0.0 for k, v in acc.items()}


# within one depth: back shows what went into a run, then where that lot came from;
# forward shows how a lot came out of a run, then where it went
_ORDER = {"output": 0, "input": 1, "receipt": 2, "opening stock": 2, "harvest": 2, "shipment": 2, "loss": 3,
          "farm use": 3,
          "process loss": 4, "on hand": 5}


def _steps(g: Graph, frame: pd.DataFrame, total: float) -> list[TraceStep]:
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
        rq = num(r["qty"])
        step = r["step"]
        out.append(TraceStep(
            kind=step, depth=int(r["depth"]), date=day(r["date"]), lot=text_or_none(r["lot"]), item=str(r["item"]),
            quantity=round(amount, 6) + 0.0,
            pct_of_lot=round(100.0 * amount / total, 2) if total > 0 else None,
            row_quantity=round(rq, 6) if rq is not None else None,
            pct_of_row=round(100.0 * amount / rq, 2) if rq else None,
            entered=entered[i], via_lot=text_or_none(r["via_lot"]) if step not in ("receipt", "opening stock", "harvest") else None,
            via_item=text_or_none(r["via_item"]) if step not in ("receipt", "opening stock", "harvest") else None,
            field=text_or_none(r["partner"]) if step in ("harvest", "farm use") else None,
            season=day(r["date"]).year if step == "harvest" and day(r["date"]) else None,
            batch=text_or_none(r["batch"]) if step in ("input", "output", "process loss") else None,
            supplier=text_or_none(r["supplier"]) if step == "receipt" else None,
            supplier_lot=text_or_none(r["supplier_lot"]), certificate=text_or_none(r["certificate"]) if step == "receipt" else None,
            certifier=text_or_none(r["certifier"]), certificate_valid=flag(r["certificate_valid"]),
            certificate_note=text_or_none(r["certificate_note"]),
            customer=(text_or_none(r["partner"]) or NO_CUSTOMER) if step == "shipment" else None,
            location=text_or_none(r["location"]), reference=text_or_none(r["reference"]),
            counted=num(r["counted"]), counted_on=day(r["counted_on"]),
            equivalents=r["equivalents"] if isinstance(r["equivalents"], dict) else {},
            sheet=text_or_none(r["sheet"]), row=int(r["row"]) if num(r["row"]) is not None else None))
    return out


def _entered(g: Graph, f: pd.DataFrame) -> list[str | None]:
    """Each row's quantity as the user typed it ("40 case")."""
    m = typed_quantities(g.prep.book, f["sheet"], f["row"], g.typed)
    return [None if pd.isna(q) else f"{_fmt_qty(q)} {u}".strip() for q, u in zip(m["q"], m["u"].fillna(""), strict=True)]


def _fmt_qty(q: float) -> str:
    return f"{q:,.0f}" if float(q).is_integer() else f"{q:,.4f}".rstrip("0").rstrip(".")
