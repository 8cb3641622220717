"""Random multi-level books for property tests: raw lots received, runs that split lots
(a lot into several runs) and merge them (several lots into one run, one lot made by two
runs), co-products, shipments, stock losses and transfers. The generator keeps its own
record of every run (inputs, outputs), so tests can compute expected shares without
massbal."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import strategies as st

from massbal.engine.rawbook import RawBook, RawTable

T = RawTable.from_records
RAW = ["Oats", "Honey", "Almonds", "Raisins"]
MADE = ["Base", "Granola", "Bar"]


@dataclass
class Book:
    raw: RawBook
    runs: dict[str, dict] = field(default_factory=dict)  # batch -> {"in": [(item, lot, q)], "out": [...]}
    totals: dict[tuple[str, str], float] = field(default_factory=dict)  # (item, lot) -> came in
    received: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, lot) -> raw item
    lossless: bool = False


@st.composite
def books(draw, lossless: bool = False) -> Book:
    day = date(2025, 1, 1)
    stock: dict[tuple[str, str], float] = {}
    consumed: set = set()
    receipts, batches, inputs, ships, losses, transfers = [], [], [], [], [], []
    bk = Book(RawBook({}), lossless=lossless)
    for item in RAW[:draw(st.integers(1, 4))]:
        for j in range(draw(st.integers(1, 2))):
            lot = f"{item[0]}{j + 1}"
            q = float(draw(st.integers(50, 2000)))
            # a blank Certificate is judged by the supplier's certificate on file
            receipts.append([day.isoformat(), item, lot, q, "lb", "Farm", draw(st.sampled_from(["C-1", None])), "Plant"])
            stock[(item, lot)] = q
            bk.totals[(item, lot)] = q
            bk.received[(item, lot)] = item
    for r in range(draw(st.integers(1, 6))):
        day += timedelta(days=1)
        avail = sorted(k for k, v in stock.items() if v > 1)
        if not avail:
            break
        picks = draw(st.lists(st.sampled_from(avail), min_size=1, max_size=min(3, len(avail)), unique=True))
        batch = f"R{r + 1}"
        used = []
        for k in picks:
            share = draw(st.sampled_from([0.25, 0.5, 0.75, 1.0]))
            q = round(stock[k] * share, 3)
            if q <= 0:
                continue
            stock[k] = round(stock[k] - q, 3)
            consumed.add(k)
            used.append((k[0], k[1], q))
        if not used:
            continue
        total_in = sum(q for *_, q in used)
        yield_ = 1.0 if lossless else draw(st.sampled_from([0.7, 0.85, 0.95, 1.0]))
        out_total = round(total_in * yield_, 3)
        item = draw(st.sampled_from(MADE))
        # one output lot, or two (a co-product); sometimes more of a lot an earlier run made
        # (a merged lot), but only of a lot nobody has used yet (no circle of lot links)
        reusable = [k for k in bk.totals if k[0] == item and k not in bk.received and k not in consumed]
        n_out = draw(st.integers(1, 2))
        outs = []
        for o in range(n_out):
            if o == 0 and reusable and draw(st.booleans()):
                lot_key = draw(st.sampled_from(sorted(reusable)))
            else:
                lot_key = (item, f"{batch}-{o + 1}")
            outs.append(lot_key)
        split = draw(st.sampled_from([0.5, 0.6, 0.8])) if n_out == 2 else 1.0
        qs = [round(out_total * split, 3)] + ([round(out_total - round(out_total * split, 3), 3)] if n_out == 2 else [])
        bk.runs[batch] = {"in": used, "out": []}
        for k, q in zip(outs, qs, strict=True):
            if q <= 0:
                continue
            batches.append([batch, day.isoformat(), k[0], k[1], q, "lb", "Plant"])
            stock[k] = round(stock.get(k, 0.0) + q, 3)
            bk.totals[k] = round(bk.totals.get(k, 0.0) + q, 3)
            bk.runs[batch]["out"].append((k[0], k[1], q))
        for it, lot, q in used:
            inputs.append([batch, it, lot, q, "lb"])
    day += timedelta(days=1)
    for k in sorted(stock):
        v = stock[k]
        if v <= 1:
            continue
        what = draw(st.sampled_from(["ship", "ship2", "keep", "lose", "move"]))
        if what.startswith("ship"):
            q = round(v * (0.5 if what == "ship2" else 1.0), 3)
            ships.append([day.isoformat(), k[0], k[1], q, "lb", draw(st.sampled_from(["Ann", "Bob", "Cy"]))])
        elif what == "lose":
            losses.append([day.isoformat(), k[0], round(v * 0.1, 3), "lb", k[1], "spoilage"])
        elif what == "move":
            transfers.append([day.isoformat(), k[0], k[1], round(v * 0.5, 3), "lb", "Plant", "Store"])
    bk.raw = RawBook({
        "Items": T("Items", ["Item", "Organic"], [[i, "Yes"] for i in RAW + MADE]),
        "Certificates": T("Certificates", ["Supplier", "Certificate", "Valid to"], [["Farm", "C-1", "2030-01-01"]]),
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Certificate", "Location"],
                      receipts),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit", "Location"], batches),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"], inputs),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer"], ships),
        "Losses": T("Losses", ["Date", "Item", "Quantity", "Unit", "Lot", "Reason"], losses),
        "Transfers": T("Transfers", ["Date", "Item", "Lot", "Quantity", "Unit", "From", "To"], transfers),
    })
    return bk
