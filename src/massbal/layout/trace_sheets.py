"""The Trace and Recall sheets written into the user's own workbook.

Each is one Excel Table (massbal's package writer keeps one table per sheet), so the
rows say what they are: the traced lot itself, Back and Forward steps, and the open
questions; for a recall, the customers, the shipments, the stock on hand and the open
questions. A row that comes from the user's rows links to it ("Go to"). The sheets are
replaced by the next trace or recall, like Reconcile's sheets.
"""
from __future__ import annotations

import pandas as pd

from massbal.engine.trace.model import LotTrace, Recall, TraceStep
from massbal.layout.sheets import ColumnSpec, SheetSpec, convert_column, number_format

from .trace_tables import STEP_WORDS, dust_sentence

GO_TO = "Go to"
TRACE_SHEET, RECALL_SHEET = "Trace", "Recall"

_TRACE = [("Traced lot", "text", 14), ("Traced item", "text", 18), ("Direction", "text", 13),
          ("Depth", "integer", 7), ("Step", "text", 14), ("Date", "date", 12), ("Item", "text", 20),
          ("Lot", "text", 14), ("Quantity", "quantity", 14), ("% of lot", "percent", 10),
          ("% of row", "percent", 10), ("Row quantity", "quantity", 14), ("As entered", "text", 12),
          ("Linked lot", "text", 14), ("Batch", "text", 10), ("Supplier", "text", 18), ("Supplier lot", "text", 12),
          ("Certificate", "text", 14), ("Certificate valid", "text", 10), ("Customer", "text", 18),
          ("Location", "text", 12), ("Reference", "text", 12), ("Note", "text", 60)]
_RECALL = [("Recalled lot", "text", 14), ("Recalled item", "text", 18), ("What", "text", 14),
           ("Customer or location", "text", 24), ("Item", "text", 20), ("Lot", "text", 14), ("Date", "date", 12),
           ("Quantity of the lot", "quantity", 16), ("Quantity", "quantity", 14), ("As entered", "text", 12),
           ("Shipments", "integer", 10), ("Note", "text", 60)]


def _yes(v):
    return None if v is None else ("Yes" if v else "No")


def _go_to(sheet, row) -> tuple[str | None, str | None]:
    if not sheet or not row:
        return None, None
    return f"{sheet}!A{row}", "'" + str(sheet).replace("'", "''") + f"'!A{row}"


def _spec(name: str, layout, rows: list[dict], links: list[tuple], unit: str) -> SheetSpec:
    cols, data = [], {}
    frame = pd.DataFrame(rows, columns=[h for h, _, _ in layout])
    for header, kind, width in layout:
        cols.append(ColumnSpec(header, kind, width, number_format(kind, unit)))
        data[header] = convert_column(frame[header], kind)
    cols.append(ColumnSpec(GO_TO, "link", 16))
    data[GO_TO] = pd.Series([d for d, _ in links], dtype="string")
    return SheetSpec(name, tuple(cols), data, (), (), {GO_TO: pd.Series([l for _, l in links], dtype="string")})


def _step_row(tr: LotTrace, direction: str, s: TraceStep) -> dict:
    return {"Traced lot": tr.lot, "Traced item": tr.item, "Direction": direction, "Depth": s.depth,
            "Step": STEP_WORDS[s.kind], "Date": s.date, "Item": s.item, "Lot": s.lot, "Quantity": s.quantity,
            "% of lot": s.pct_of_lot, "% of row": s.pct_of_row, "Row quantity": s.row_quantity,
            "As entered": s.entered, "Linked lot": s.via_lot, "Batch": s.batch, "Supplier": s.supplier,
            "Supplier lot": s.supplier_lot, "Certificate": s.certificate,
            "Certificate valid": _yes(s.certificate_valid), "Customer": s.customer, "Location": s.location,
            "Reference": s.reference, "Note": s.certificate_note}


def trace_sheet(traces: list[LotTrace]) -> SheetSpec:
    """The Trace sheet of one or more traces (a lot number two items share: both)."""
    rows, links = [], []
    for tr in traces:
        a = tr.accounted
        rows.append({"Traced lot": tr.lot, "Traced item": tr.item, "Direction": "Lot", "Depth": 0,
                     "Step": tr.origin, "Item": tr.item, "Lot": tr.lot, "Quantity": tr.total,
                     "Note": f"Shipped {a.shipped:,.2f}, lost {a.losses:,.2f}, run losses {a.process_loss:,.2f}, "
                             f"on hand {a.on_hand:,.2f}, not accounted for {a.unaccounted:,.2f} {tr.unit}; "
                             f"traced in {tr.seconds:.2f} s."})
        links.append((None, None))
        for direction, steps in (("Back", tr.back), ("Forward", tr.forward)):
            for s in steps:
                rows.append(_step_row(tr, direction, s))
                links.append(_go_to(s.sheet, s.row))
        for q in tr.open_questions:
            rows.append({"Traced lot": tr.lot, "Traced item": tr.item, "Direction": "Open question",
                         "Item": q.item, "Lot": q.lot, "Note": q.message})
            links.append(_go_to(q.sheet, q.row))
    return _spec(TRACE_SHEET, _TRACE, rows, links, traces[0].unit if traces else "lb")


def recall_sheet(rc: Recall) -> SheetSpec:
    base = {"Recalled lot": rc.lot, "Recalled item": rc.item}
    rows, links = [], []
    for c in rc.customers:
        rows.append({**base, "What": "Customer", "Customer or location": c.customer, "Lot": ", ".join(c.lots),
                     "Date": c.last_date, "Quantity of the lot": c.quantity, "Quantity": c.shipped,
                     "Shipments": c.shipments,
                     "Note": f"First shipped {c.first_date}, last {c.last_date}" if c.first_date else None})
        links.append((None, None))
    for s in rc.shipments:
        rows.append({**base, "What": "Shipment", "Customer or location": s.customer, "Item": s.item, "Lot": s.lot,
                     "Date": s.date, "Quantity of the lot": s.quantity, "Quantity": s.row_quantity,
                     "As entered": s.entered, "Note": s.reference})
        links.append(_go_to(s.sheet, s.row))
    for s in rc.on_hand:
        rows.append({**base, "What": "On hand", "Customer or location": s.location, "Item": s.item, "Lot": s.lot,
                     "Date": s.counted_on, "Quantity of the lot": s.quantity, "Quantity": s.row_quantity,
                     "Note": "Quarantine" + (f"; last count {s.counted:,.2f} on {s.counted_on}"
                                             if s.counted is not None else "")})
        links.append((None, None))
    if rc.dust_places:
        rows.append({**base, "What": "Rounding", "Quantity of the lot": rc.dust_quantity, "Note": dust_sentence(rc)})
        links.append((None, None))
    for q in rc.open_questions:
        rows.append({**base, "What": "Open question", "Item": q.item, "Lot": q.lot, "Note": q.message})
        links.append(_go_to(q.sheet, q.row))
    rows.append({**base, "What": "Trace time", "Note": f"{rc.seconds:.2f} s, {rc.generated:%Y-%m-%d %H:%M}"})
    links.append((None, None))
    return _spec(RECALL_SHEET, _RECALL, rows, links, rc.unit)
