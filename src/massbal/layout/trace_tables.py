"""Traces and recalls as tables: the same columns on the Trace sheet written into the
user's workbook, the inspector's copy, the recall report and the FSMA 204 spreadsheet."""
from __future__ import annotations

import pandas as pd

from massbal.engine.prepared import Prepared
from massbal.engine.trace.graph import typed_quantities
from massbal.engine.trace.model import LotTrace, Recall, TraceStep
from massbal.engine.trace.recall import DUST

STEP_WORDS = {"receipt": "Received", "opening stock": "Opening stock", "input": "Used in run",
              "output": "Made by run", "shipment": "Shipped", "loss": "Lost", "process loss": "Run loss",
              "on hand": "On hand"}


def _yes(v):
    return None if v is None else ("Yes" if v else "No")


def back_frame(tr: LotTrace) -> pd.DataFrame:
    rows = [{
        "Depth": s.depth, "Step": STEP_WORDS[s.kind], "Date": s.date, "Item": s.item, "Lot": s.lot,
        "Quantity": s.quantity, "% of row": s.pct_of_row, "Row quantity": s.row_quantity, "As entered": s.entered,
        "Went into lot": s.via_lot, "Batch": s.batch, "Supplier": s.supplier, "Supplier lot": s.supplier_lot,
        "Certificate": s.certificate, "Certifier": s.certifier, "Certificate valid": _yes(s.certificate_valid),
        "Note": s.certificate_note, "Sheet": s.sheet, "Row": s.row} for s in tr.back]
    return pd.DataFrame(rows, columns=list(BACK_COLUMNS))


BACK_COLUMNS = ("Depth", "Step", "Date", "Item", "Lot", "Quantity", "% of row", "Row quantity", "As entered",
                "Went into lot", "Batch", "Supplier", "Supplier lot", "Certificate", "Certifier",
                "Certificate valid", "Note", "Sheet", "Row")
FORWARD_COLUMNS = ("Depth", "Step", "Date", "Item", "Lot", "Quantity", "% of lot", "Row quantity", "% of row",
                   "As entered", "Came from lot", "Batch", "Customer", "Location", "Reference", "Counted",
                   "Counted on", "Sheet", "Row")


def forward_frame(steps: list[TraceStep], ingredients: list[str] | None = None) -> pd.DataFrame:
    ingredients = ingredients if ingredients is not None else list(dict.fromkeys(
        k for s in steps for k in s.equivalents))
    rows = []
    for s in steps:
        r = {"Depth": s.depth, "Step": STEP_WORDS[s.kind], "Date": s.date, "Item": s.item, "Lot": s.lot,
             "Quantity": s.quantity, "% of lot": s.pct_of_lot, "Row quantity": s.row_quantity,
             "% of row": s.pct_of_row, "As entered": s.entered, "Came from lot": s.via_lot, "Batch": s.batch,
             "Customer": s.customer, "Location": s.location, "Reference": s.reference, "Counted": s.counted,
             "Counted on": s.counted_on, "Sheet": s.sheet, "Row": s.row}
        for k in ingredients:
            r[f"{k} equivalent"] = s.equivalents.get(k)
        rows.append(r)
    cols = list(FORWARD_COLUMNS[:15]) + [f"{k} equivalent" for k in ingredients] + list(FORWARD_COLUMNS[15:])
    return pd.DataFrame(rows, columns=cols)


def questions_frame(questions) -> pd.DataFrame:
    return pd.DataFrame([{"Lot": q.lot, "Item": q.item, "Sheet": q.sheet, "Row": q.row, "Question": q.message}
                         for q in questions], columns=["Lot", "Item", "Sheet", "Row", "Question"])


def question_lines(questions) -> list[str]:
    if not questions:
        return ["None: every link was followed."]
    return [f"- {q.message}" + (f"  ({q.sheet} row {q.row})" if q.sheet and q.row else "") for q in questions]


def dust_sentence(rc: Recall) -> str:
    """Why some places holding a trace of the lot are not on the quarantine list (CLI, sheet, PDF)."""
    n = rc.dust_places
    return (f"Not listed: {n} place{'s' if n != 1 else ''} holding less than {DUST} {rc.unit} of the lot each "
            f"({rc.dust_quantity:,.4f} {rc.unit} in all), which is rounding left by proportional splits "
            "and unit conversions, not stock to quarantine.")


def summary_pairs(tr: LotTrace | Recall) -> list[tuple[str, object]]:
    a = tr.accounted
    u = tr.unit
    out = [("Lot", tr.lot), ("Item", tr.item)]
    if isinstance(tr, LotTrace):
        out.append(("Came in as", tr.origin))
        comp = ", ".join(f"{k} {100 * v:.2f} %" for k, v in tr.composition.items()) or "no organic ingredient"
        out.append(("Organic content", comp))
    out += [(f"Total of the lot ({u})", a.total), (f"Shipped ({u})", a.shipped), (f"Lost ({u})", a.losses),
            (f"Run losses ({u})", a.process_loss), (f"Still on hand ({u})", a.on_hand),
            (f"Not accounted for ({u})", a.unaccounted), ("Open questions", len(tr.open_questions)),
            ("Seconds the trace took", tr.seconds)]
    if isinstance(tr, Recall) and tr.dust_places:
        out.insert(-2, (f"Rounding, not listed ({u})", tr.dust_quantity))
    return out


def customers_frame(rc: Recall) -> pd.DataFrame:
    return pd.DataFrame([{"Customer": c.customer, "Shipments": c.shipments, "Quantity of the lot": c.quantity,
                          "Quantity shipped": c.shipped, "Lots shipped": ", ".join(c.lots),
                          "First shipped": c.first_date, "Last shipped": c.last_date} for c in rc.customers],
                        columns=["Customer", "Shipments", "Quantity of the lot", "Quantity shipped", "Lots shipped",
                                 "First shipped", "Last shipped"])


def on_hand_frame(rc: Recall) -> pd.DataFrame:
    return pd.DataFrame([{"Location": s.location, "Item": s.item, "Lot": s.lot, "On hand (book)": s.row_quantity,
                          "Of which the recalled lot": s.quantity, "Last count": s.counted,
                          "Counted on": s.counted_on} for s in rc.on_hand],
                        columns=["Location", "Item", "Lot", "On hand (book)", "Of which the recalled lot",
                                 "Last count", "Counted on"])


# ------------------------------------------------------------------ FSMA 204

FSMA_COLUMNS = ("Critical tracking event", "Event date", "Traceability lot code", "Product description",
                "Quantity", "Unit of measure", "Quantity (report unit)", "Location of event",
                "Immediate previous source", "Immediate subsequent recipient", "Traceability lot code source",
                "Supplier lot code", "Input traceability lot codes", "Reference document", "Sheet", "Row")


def fsma_frame(prep: Prepared, traces: list[LotTrace]) -> pd.DataFrame:
    """One row per critical tracking event of the traced lots, with its key data elements:
    receiving of every lot the traces go back to, the runs they pass through
    (transformation: new lot and its input lots) and the shipping of every lot they go
    forward to. Sortable: an Excel Table with a filter on every column."""
    led = prep.ledger
    code = prep.book.code
    back_lots, fwd_lots, runs = set(), set(), set()
    for tr in traces:
        me = (code("item", tr.item), code("lot", tr.lot))
        back_lots.add(me)
        fwd_lots.add(me)
        for st in tr.back:
            if st.lot:
                back_lots.add((code("item", st.item), code("lot", st.lot)))
            if st.batch:
                runs.add(code("batch", st.batch))
        for st in tr.forward:
            if st.lot and st.kind != "process loss":
                fwd_lots.add((code("item", st.item), code("lot", st.lot)))
            if st.batch:
                runs.add(code("batch", st.batch))
    pair = pd.MultiIndex.from_frame(led[["item_key", "lot_key"]])
    rec = led[(led["kind"] == "receipt").to_numpy() & pair.isin(list(back_lots))]
    ship = led[(led["kind"] == "shipped").to_numpy() & pair.isin(list(fwd_lots))]
    made = led[(led["kind"] == "produced") & led["batch_key"].isin(runs)]
    used = led[(led["kind"] == "used") & led["batch_key"].isin(runs)]
    unit = prep.unit
    text = pd.Series([f"{lt} ({it}, {q:,.6g} {unit})" for lt, it, q in zip(used["lot"], used["item"], used["qty"], strict=True)],
                     index=used.index, dtype=object)
    ins = text.groupby(used["batch_key"]).agg("; ".join) if len(used) else pd.Series(dtype=object)
    R = prep.book.tables["Receipts"].set_index("_row")
    sup_lot = R["supplier_lot"].reindex(rec["row"]).to_numpy() if len(rec) else []
    parts = [
        _events(prep, rec, "Receiving", previous=rec["partner"], tlc_source=rec["partner"], supplier_lot=sup_lot),
        _events(prep, made, "Transformation", tlc_source="this operation",
                inputs=made["batch_key"].map(ins), reference="Batch " + made["batch"].astype(str)),
        _events(prep, ship, "Shipping", subsequent=ship["partner"], tlc_source=_tlc_source(led, ship)),
    ]
    f = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=list(FSMA_COLUMNS))
    if f.empty:
        return f
    f = f.sort_values(["Event date", "Critical tracking event", "Traceability lot code"], kind="stable")
    return f.reset_index(drop=True)[list(FSMA_COLUMNS)]


def _tlc_source(led: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Who assigned a shipped lot's code: its supplier if it was received as it is, else us."""
    got = led[led["kind"] == "receipt"].drop_duplicates(["item_key", "lot_key"]).set_index(["item_key", "lot_key"])
    src = pd.MultiIndex.from_frame(rows[["item_key", "lot_key"]]).map(got["partner"]) if len(rows) else []
    return pd.Series(src, index=rows.index, dtype=object).fillna("this operation")


def _events(prep: Prepared, rows: pd.DataFrame, cte: str, *, previous=None, subsequent=None, tlc_source=None,
            supplier_lot=None, inputs=None, reference=None) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=list(FSMA_COLUMNS))
    typed = typed_quantities(prep.book, rows["sheet"], rows["row"])
    n = len(rows)

    def col(v):
        return v.to_numpy() if isinstance(v, pd.Series) else ([v] * n if not hasattr(v, "__len__") or isinstance(v, str) else v)
    items = prep.book.items["item"]
    return pd.DataFrame({
        "Critical tracking event": cte, "Event date": rows["date"].to_numpy(),
        "Traceability lot code": rows["lot"].to_numpy(),
        "Product description": rows["item_key"].map(items).fillna(rows["item"]).to_numpy(),
        "Quantity": typed["q"].to_numpy(), "Unit of measure": typed["u"].to_numpy(),
        "Quantity (report unit)": rows["qty"].to_numpy(), "Location of event": rows["location"].to_numpy(),
        "Immediate previous source": col(previous), "Immediate subsequent recipient": col(subsequent),
        "Traceability lot code source": col(tlc_source),
        "Supplier lot code": col(supplier_lot), "Input traceability lot codes": col(inputs),
        "Reference document": col(reference if reference is not None else rows["reference"]),
        "Sheet": rows["sheet"].to_numpy(), "Row": rows["row"].to_numpy()})
