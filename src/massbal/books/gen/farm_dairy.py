"""A year of an organic dairy, as its farmer records it (issue 11, item 7).

About 120 cows, with heifers and pre-weaned calves; births, purchases, sales, culls and
deaths; heifer calves moved to the heifers at weaning and heifers to the cows when they
calve. Home-grown hay, corn silage and feed corn (harvested from the farm's fields) are
fed beside a bought organic dairy ration; in a grazing season of 165 days the cows take
about 35 % of their dry matter from pasture and the heifers fall short of 30 %. Milk goes
to the processor every day; the calves drink some of it. In March one delivery of ration
was conventional, and it was fed.

    rows = dairy_rows(2025, numpy.random.default_rng(7))   # table name -> list of row dicts

The figures are made to close (head counts, feed stocks), so the planted problems are
the only ones: NONORGANIC_FEED in March and PASTURE_DMI for the heifers.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

COWS, HEIFERS, CALVES = "Milking cows", "Heifers", "Calves"
HAY, SILAGE, CORN, RATION, MILK = "Dairy hay", "Corn silage", "Feed corn", "Dairy ration", "Milk"
DM = {HAY: 90.0, SILAGE: 35.0, CORN: 88.0, RATION: 89.0, MILK: 12.5}
FEED_SUPPLIER, FEED_CERT = "Northern Organic Feeds", "MOSA-44871"
CATTLE_SELLER, CATTLE_CERT = "Maple Hill Dairy", "PCO-2291"
PROCESSOR = "Prairie Creamery"
CONVENTIONAL_MILL = "County Feed Mill"
GRAZING = ((5, 1), (10, 12))  # 165 days
DEMAND = {COWS: 50.0, HEIFERS: 22.0, CALVES: 3.0}
# dry matter fed a head a day (lb), out of and in the grazing season
DIET = {
    COWS: ({HAY: 20, SILAGE: 15, CORN: 8, RATION: 7}, {HAY: 8, SILAGE: 12, CORN: 7, RATION: 5.5}),
    HEIFERS: ({HAY: 16, SILAGE: 6}, {HAY: 12, SILAGE: 5}),
    CALVES: ({MILK: 2.1, CORN: 0.9}, {MILK: 2.1, CORN: 0.9}),
}
FIELDS = ((HAY, "Hay field 1", 60.0, "ton"), (HAY, "Hay field 2", 45.0, "ton"),
          (SILAGE, "Corn field 3", 35.0, "ton"), (CORN, "Corn field 4", 40.0, "bu"))
CORN_LB_PER_BU = 56.0


def _d(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}"


def _herd_events(year: int, rng: np.random.Generator):
    """Daily head counts and the Animals rows that produce them."""
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    head = {COWS: 120, HEIFERS: 46, CALVES: 8}
    rows = [{"Date": f"{year - 1}-12-31", "Herd": h, "Event": "count", "Head": n, "Reference": "Year-end count"}
            for h, n in head.items()]
    daily = {h: np.zeros(len(days), dtype=int) for h in head}
    calves_waiting: list[tuple[pd.Timestamp, int]] = []  # heifer calves, weaned after about 75 days

    def event(day, herd, what, n, **kw):
        sign = 1 if what in ("birth", "bought", "moved in") else -1
        head[herd] += sign * n
        rows.append(dict({"Date": _d(day), "Herd": herd, "Event": what, "Head": int(n)}, **kw))

    for i, day in enumerate(days):
        births = rng.poisson(110 / 365)
        if births:
            event(day, CALVES, "birth", births, Reference="Calving book")
            bulls = rng.binomial(births, 0.5)
            if bulls:
                event(day, CALVES, "sold", bulls, Reference="Bull calves to neighbour")
            if births - bulls:
                calves_waiting.append((day, births - bulls))
        if day.day == 15:  # weaned heifer calves join the heifers; heifers that calved join the cows
            ready = sum(n for born, n in calves_waiting if (day - born).days >= 75)
            calves_waiting = [(b, n) for b, n in calves_waiting if (day - b).days < 75]
            if ready:
                event(day, CALVES, "moved out", ready, Reference="Weaning")
                event(day, HEIFERS, "moved in", ready, Reference="Weaning")
            fresh = min(3, head[HEIFERS] - 30)
            if fresh > 0:
                event(day, HEIFERS, "moved out", fresh, Reference="Freshened")
                event(day, COWS, "moved in", fresh, Reference="Freshened")
        if day.day == 20 and rng.random() < 0.9 and head[COWS] > 112:
            event(day, COWS, "culled", int(rng.integers(2, 4)), Reference="Cull cows to market")
        if day == pd.Timestamp(year, 4, 8):
            event(day, COWS, "bought", 5, Organic="Yes", Certificate=CATTLE_CERT, Reference="Bill of sale 1187")
        if day == pd.Timestamp(year, 9, 3):
            event(day, COWS, "sold", 2, Reference="Dairy cows sold to Hill Farm")
        if rng.random() < 4 / 365 and head[COWS] > 0:
            event(day, COWS, "died", 1, Reference="Vet report")
        if rng.random() < 1.5 / 365 and head[HEIFERS] > 0:
            event(day, HEIFERS, "died", 1, Reference="Vet report")
        if rng.random() < 4 / 365 and head[CALVES] > 0:
            event(day, CALVES, "died", 1, Reference="Vet report")
        for h in head:
            daily[h][i] = head[h]
        if (day + pd.Timedelta(days=1)).day == 1:  # month-end counts, as a dairy keeps them
            rows += [{"Date": _d(day), "Herd": h, "Event": "count", "Head": n, "Reference": "Month-end count"}
                     for h, n in head.items()]
    return days, daily, rows


def _in_season(day: pd.Timestamp) -> bool:
    (sm, sd), (em, ed) = GRAZING
    return (sm, sd) <= (day.month, day.day) <= (em, ed)


def _feeding_weeks(days: pd.DatetimeIndex) -> list[list[int]]:
    """The feeding sheet's weeks: a new sheet on the 1st, 8th, 15th, 22nd and 29th of each
    month and when the grazing season starts or ends."""
    spans, cur = [], []
    for i, day in enumerate(days):
        new = day.day in (1, 8, 15, 22, 29) or (i and _in_season(day) != _in_season(days[i - 1]))
        if new and cur:
            spans.append(cur)
            cur = []
        cur.append(i)
    return spans + ([cur] if cur else [])


class _Stock:
    """Feed lots, first in first out, so each feeding row names the lot it came from."""

    def __init__(self):
        self.lots: dict[str, list[list]] = defaultdict(list)  # item -> [[lot, qty]]

    def add(self, item, lot, qty):
        self.lots[item].append([lot, qty])

    def take(self, item, qty) -> list[tuple[str, float]]:
        out = []
        while qty > 1e-9:
            lots = self.lots[item]
            lot = lots[0] if lots else None
            if lot is None:
                raise RuntimeError(f"the dairy ran out of {item}")
            got = min(lot[1], qty)
            if got > 0:
                out.append((lot[0], got))
            lot[1] -= got
            qty -= got
            if lot[1] <= 1e-9 and len(lots) > 1:
                lots.pop(0)
        return out

    def on_hand(self, item) -> float:
        return sum(q for _, q in self.lots[item])


def dairy_rows(year: int, rng: np.random.Generator) -> dict[str, list[dict]]:
    """The dairy's rows, by table name, keyed by the schema's column names."""
    days, daily, animals = _herd_events(year, rng)
    prev = year - 1
    # what each feed the herds eat comes to, week by week (as-fed lb), to size stocks and harvests
    weekly = []  # (day, herd, item, as-fed lb)
    for span in _feeding_weeks(days):
        day = days[span[0]]
        for herd, (out_season, in_season) in DIET.items():
            totals = defaultdict(float)
            for i in span:
                diet = in_season if _in_season(days[i]) else out_season
                for item, dm_lb in diet.items():
                    totals[item] += daily[herd][i] * dm_lb / (DM[item] / 100) * rng.normal(1.0, 0.02)
            for item, q in totals.items():
                if q > 0:
                    weekly.append((day, herd, item, round(q)))
    feed = pd.DataFrame(weekly, columns=["day", "herd", "item", "qty"])

    stock = _Stock()
    rows = defaultdict(list)
    rows["Items"] = [
        {"Item": HAY, "Kind": "Feed", "Category": "Forage", "Unit": "lb", "Dry matter %": DM[HAY], "Tolerance %": 5},
        {"Item": SILAGE, "Kind": "Feed", "Category": "Forage", "Unit": "lb", "Dry matter %": DM[SILAGE],
         "Tolerance %": 8},
        {"Item": CORN, "Kind": "Feed", "Category": "Grain", "Unit": "bu", "Kg per unit": round(CORN_LB_PER_BU * 0.45359237, 4),
         "Dry matter %": DM[CORN]},
        {"Item": RATION, "Kind": "Feed", "Category": "Grain", "Unit": "lb", "Dry matter %": DM[RATION]},
        {"Item": MILK, "Kind": "Livestock product", "Category": "Milk", "Unit": "lb", "Dry matter %": DM[MILK],
         "Tolerance %": 1},
    ]
    (sm, sd), (em, ed) = GRAZING
    grazing = {"Grazing start": f"{year}-{sm:02d}-{sd:02d}", "Grazing end": f"{year}-{em:02d}-{ed:02d}"}
    rows["Herds"] = [
        dict({"Herd": COWS, "Species": "Cattle", "Class": "Holstein cows, lactating and dry", "Ruminant": "Yes",
              "Dry matter demand": DEMAND[COWS], "Product": MILK, "Output per head per day": 66}, **grazing),
        dict({"Herd": HEIFERS, "Species": "Cattle", "Class": "Heifers, 3 to 24 months", "Ruminant": "Yes",
              "Dry matter demand": DEMAND[HEIFERS]}, **grazing),
        {"Herd": CALVES, "Species": "Cattle", "Class": "Pre-weaned calves (rumen not yet working)", "Ruminant": "No",
         "Dry matter demand": DEMAND[CALVES]},
    ]
    rows["Animals"] = animals
    rows["Certificates"] = [
        {"Supplier": FEED_SUPPLIER, "Certificate": FEED_CERT, "Certifier": "MOSA", "Items covered": RATION,
         "Valid from": f"{prev}-03-01", "Valid to": f"{year + 1}-02-28"},
        {"Supplier": CATTLE_SELLER, "Certificate": CATTLE_CERT, "Certifier": "PCO", "Items covered": "Livestock, Cattle",
         "Valid from": f"{prev}-06-01", "Valid to": f"{year + 1}-05-31"},
    ]

    def used_before(item, day):
        return float(feed[(feed["item"] == item) & (feed["day"] < day)]["qty"].sum())

    # opening stocks: a year-end count of last year's crop, enough until this year's harvest
    first_cut = {HAY: pd.Timestamp(year, 6, 10), SILAGE: pd.Timestamp(year, 9, 15), CORN: pd.Timestamp(year, 10, 20)}
    counts = rows["Counts"]
    for item, day in first_cut.items():
        opening = round(used_before(item, day) * 1.08 + 20_000)
        lot = f"{item.split()[-1].upper()[:4]}-{prev}"
        stock.add(item, lot, opening)
        counts.append({"Date": f"{prev}-12-31", "Item": item, "Quantity": opening, "Unit": "lb", "Lot": lot,
                       "Location": "Farm"})
    # harvests sized to the year's feeding and a stock for next winter, over the fields
    harvests = rows["Harvests"]
    fields = rows["Fields"]
    cuts = {HAY: [(6, 10), (7, 25), (9, 5)], SILAGE: [(9, 15)], CORN: [(10, 20)]}
    for item in (HAY, SILAGE, CORN):
        need = float(feed[feed["item"] == item]["qty"].sum()) - stock.on_hand(item) + used_before(item, first_cut[item])
        total = round(max(need, 0) * 1.02)
        mine = [f for f in FIELDS if f[0] == item]
        acres = sum(f[2] for f in mine)
        for _crop, name, ac, yunit in mine:
            share = total * ac / acres
            per_acre = share / ac / (2000 if yunit == "ton" else CORN_LB_PER_BU)
            fields.append({"Field": name, "Crop": item, "Season": year, "Acres": ac,
                           "Expected yield": round(per_acre * rng.uniform(0.96, 1.02), 2), "Yield unit": yunit,
                           "Yield source": "Farm history", "Organic": "Yes"})
            for k, (m, dd) in enumerate(cuts[item], start=1):
                q = round(share / len(cuts[item]))
                lot = f"{item.split()[-1].upper()[:4]}-{year}-{name.split()[-1]}{k}"
                harvests.append({"Date": f"{year}-{m:02d}-{dd:02d}", "Item": item, "Lot": lot, "Quantity": q,
                                 "Unit": "lb", "Field": name, "Organic": "Yes", "Location": "Farm",
                                 "Reference": f"Scale ticket {name.split()[-1]}{k}"})
    # the bought ration, monthly; March's load came from a conventional mill
    receipts = rows["Receipts"]
    for m in range(1, 13):
        day = pd.Timestamp(year, m, 1)
        nxt = pd.Timestamp(year + (m == 12), m % 12 + 1, 1)
        month_need = float(feed[(feed["item"] == RATION) & (feed["day"] >= day) & (feed["day"] < nxt)]["qty"].sum())
        lot = f"RAT-{year}-{m:02d}"
        conventional = m == 3
        q = round(month_need * 1.01) + 200
        receipts.append({"Date": _d(day - pd.Timedelta(days=2 if m > 1 else 0)), "Item": RATION, "Lot": lot,
                         "Quantity": q, "Unit": "lb",
                         "Supplier": CONVENTIONAL_MILL if conventional else FEED_SUPPLIER,
                         "Certificate": None if conventional else FEED_CERT, "Organic": "No" if conventional else "Yes",
                         "Location": "Farm", "Reference": f"Invoice {m:02d}-{year}"})
    # replay the year: harvests and receipts enter stock on their day, feeding takes from it
    arrivals = sorted([(pd.Timestamp(h["Date"]), h["Item"], h["Lot"], h["Quantity"]) for h in harvests] +
                      [(pd.Timestamp(r["Date"]), r["Item"], r["Lot"], r["Quantity"]) for r in receipts])
    farm_use, shipments = rows["FarmUse"], rows["Shipments"]
    milk_for_calves = {}
    fed_by_day = feed.groupby("day")
    for day in days:
        while arrivals and arrivals[0][0] <= day:
            _, item, lot, q = arrivals.pop(0)
            stock.add(item, lot, q)
        if day in fed_by_day.groups:
            for r in fed_by_day.get_group(day).itertuples(index=False):
                if r.item == MILK:
                    milk_for_calves[day] = r.qty
                    farm_use.append({"Date": _d(day), "Item": MILK, "Quantity": r.qty, "Unit": "lb", "Use": "feed",
                                     "Lot": f"MILK-{day:%Y%m%d}", "Herd": r.herd, "Reference": "Calf feeding, week"})
                    continue
                for lot, q in stock.take(r.item, r.qty):
                    farm_use.append({"Date": _d(day), "Item": r.item, "Quantity": round(q), "Unit": "lb",
                                     "Use": "feed", "Lot": lot, "Herd": r.herd, "Reference": "Feeding sheet, week"})
        # milk: into the tank, out to the processor every day (less what the calves drink)
        i = days.get_loc(day)
        milk = round(daily[COWS][i] * 61.5 * rng.normal(1.0, 0.03))
        lot = f"MILK-{day:%Y%m%d}"
        harvests.append({"Date": _d(day), "Item": MILK, "Lot": lot, "Quantity": milk, "Unit": "lb", "Herd": COWS,
                         "Organic": "Yes", "Location": "Bulk tank", "Reference": "Milk weigh sheet"})
        shipments.append({"Date": _d(day), "Item": MILK, "Lot": lot, "Quantity": milk - milk_for_calves.get(day, 0),
                          "Unit": "lb", "Customer": PROCESSOR, "Location": "Bulk tank",
                          "Reference": f"Pickup {day:%m%d}"})
    for item in (HAY, SILAGE, CORN, RATION):
        for lot, q in stock.lots[item]:
            if q > 0.5:
                counts.append({"Date": f"{year}-12-31", "Item": item, "Quantity": round(q * rng.uniform(0.99, 1.0)),
                               "Unit": "lb", "Lot": lot, "Location": "Farm"})
    counts.append({"Date": f"{year}-12-31", "Item": MILK, "Quantity": 0, "Unit": "lb", "Location": "Bulk tank"})
    return dict(rows)
