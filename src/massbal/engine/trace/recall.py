"""A mock recall from a lot's trace: its customers, the shipments, the stock to quarantine."""
from __future__ import annotations

import time
from datetime import datetime

import pandas as pd

from .graph import day
from .model import NO_CUSTOMER, LotTrace, Recall, RecallCustomer

DUST = 0.05  # report-unit parts of the lot below this are rounding left by proportional splits


def recall_of(tr: LotTrace, t0: float) -> Recall:
    ships = [s for s in tr.forward if s.kind == "shipment"]
    stock = [s for s in tr.forward if s.kind == "on hand"]
    dust = [s for s in stock if s.quantity is not None and abs(s.quantity) < DUST]
    stock = [s for s in stock if not (s.quantity is not None and abs(s.quantity) < DUST)]
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
                                    first_date=day(r.first_date), last_date=day(r.last_date))
                     for c, r in agg.iterrows()]  # one row per customer, a handful
    return Recall(lot=tr.lot, item=tr.item, unit=tr.unit, total=tr.total, generated=datetime.now(),
                  customers=customers, shipments=ships, on_hand=stock, open_questions=tr.open_questions,
                  dust_places=len(dust), dust_quantity=round(sum(s.quantity for s in dust), 6),
                  accounted=tr.accounted, seconds=round(time.perf_counter() - t0, 4))
