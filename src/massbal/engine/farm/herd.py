"""Herds and their animals (CONTRACT section 6): who is in each herd on each day.

The Herds table says what a herd is (species, dry matter demand, grazing season,
product); the Animals table says how many head it holds: a `count` is the head count at
the end of its day, every other event changes it. From these one daily series per herd,
the "counted and rolled" head count, gives everything else: the beginning of a period
(the head count on the day before it), head-days (the series summed over the period)
and, through the dry matter demand, what the herd needed to eat.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from massbal.engine import findings as F
from massbal.engine.load import Book
from massbal.engine.schema import name_key
from massbal.engine.units import kg_factors, report_factor, unit_info

BORN, BOUGHT, MOVED_IN = "birth", "bought", "moved in"
SOLD, SLAUGHTERED, CULLED, MOVED_OUT, DIED = "sold", "slaughtered", "culled", "moved out", "died"
INFLOWS = (BORN, BOUGHT, MOVED_IN)                  # L
OUTFLOWS = (SOLD, SLAUGHTERED, CULLED, MOVED_OUT)   # K
DEATHS = (DIED,)                                    # M
SIGN = {**{e: 1 for e in INFLOWS}, **{e: -1 for e in OUTFLOWS + DEATHS}}
RUMINANT_SPECIES = ("cattle", "cow", "cows", "dairy", "beef", "sheep", "ewe", "ewes", "lamb", "lambs",
                    "goat", "goats", "bison", "buffalo", "heifer", "heifers", "steer", "steers", "calf",
                    "calves", "yak", "yaks", "deer", "llama", "alpaca")

# No animal of these species eats more dry matter a day than this (lb a head): a larger
# "demand" is almost surely a body weight typed into the wrong column. (Cattle: about 3 %
# of a 2,000 lb bull is 60 lb; sheep and goats about 4 % of 250 lb; hens 0.25 lb.)
_MAX_DEMAND_LB = (
    (("chicken", "chickens", "hen", "hens", "layer", "layers", "broiler", "broilers", "poultry", "duck",
      "ducks", "turkey", "turkeys", "geese", "goose"), 2.0),
    (("sheep", "ewe", "ewes", "lamb", "lambs", "goat", "goats"), 15.0),
    (("pig", "pigs", "swine", "hog", "hogs", "sow", "sows"), 20.0),
)
_MAX_DEMAND_OTHER_LB = 80.0


@dataclass(frozen=True)
class Herds:
    """Herds and animals read and checked once, for any period."""
    herds: pd.DataFrame    # indexed by herd_key: herd, species, class, ruminant, demand, grazing_start,
                           # grazing_end, product, product_key, output_per_day, _row (NaN: not on Herds)
    animals: pd.DataFrame  # valid Animals rows: date, herd_key, event, head, _row
    findings: pd.DataFrame
    days: pd.DatetimeIndex  # the days the series below cover
    head: dict[str, np.ndarray]   # herd_key -> head count at the end of each day
    opening: dict[str, int]  # herd_key -> day index of its opening count (its first record), -1: none
    book_delta: dict[str, np.ndarray]  # herd_key -> change recorded on each day (events, not counts)
    counts: dict[str, np.ndarray]  # herd_key -> counted head on each day, NaN where none

    def on_hand(self, key: str) -> np.ndarray:
        """Head fed and counted in head-days on each day: the head count, from the day after
        an opening count (the herd's records, feeding included, start there)."""
        out = np.clip(self.head[key], 0, None)
        if self.opening[key] >= 0:
            out = out.copy()
            out[:self.opening[key] + 1] = 0
        return out

    def day(self, when: pd.Timestamp) -> int:
        return int((pd.Timestamp(when) - self.days[0]).days)

    def head_on(self, herd_key: str, when: pd.Timestamp) -> float:
        i = self.day(when)
        series = self.head[herd_key]
        if i < 0:
            return 0.0
        return float(series[min(i, len(series) - 1)])  # after the last record nothing changes


def herd_key(text: object) -> str:
    return name_key(text) if isinstance(text, str) and text.strip() else ""


def _sheet(book: Book, table: str) -> str:
    return book.sheets.get(table, table)


def is_ruminant(species: object, flag: object) -> bool:
    if flag is not None and not (isinstance(flag, float) and np.isnan(flag)):
        return bool(flag)
    words = name_key(species).replace(",", " ").split() if isinstance(species, str) else []
    return any(w in RUMINANT_SPECIES for w in words)


def _max_demand_lb(species: object, cls: object) -> tuple[float, str]:
    words = set(name_key(f"{species or ''} {cls or ''}").replace(",", " ").split())
    for names, most in _MAX_DEMAND_LB:
        if words & set(names):
            return most, str(species)
    return _MAX_DEMAND_OTHER_LB, str(species)


def _herds_table(book: Book, out: list) -> pd.DataFrame:
    t = book.tables["Herds"]
    sheet, unit = _sheet(book, "Herds"), book.settings.unit
    lb_per_unit = 1.0 / float(unit_info("lb").to_kg * report_factor(unit))  # report units -> lb
    rows = []
    items = book.items
    item_units = {k: u for k, u in zip(items["item_key"], items["unit"], strict=True) if isinstance(u, str) and u.strip()}
    kpu = {k: float(v) for k, v in zip(items["item_key"], items["kg_per_unit"], strict=True) if pd.notna(v)}
    rf = report_factor(unit)
    for r in t.to_dict("records"):
        key = herd_key(r["herd"])
        if not key or any(x["key"] == key for x in rows):
            continue
        demand = float(r["dry_matter_demand"])
        most, species = _max_demand_lb(r["species"], r.get("class"))
        letter = book.letter("Herds", "Dry matter demand")
        if demand * lb_per_unit > most:
            out.append(F.make("error", "BAD_VALUE", sheet, int(r["_row"]), "Dry matter demand", letter,
                              f"A dry matter demand of {demand:,.0f} {unit} a head a day is more than any {species} eats "
                              f"(at most about {most / lb_per_unit:,.0f} {unit}); it looks like a body weight. "
                              + demand_help(demand * lb_per_unit, unit, lb_per_unit)
                              + " Until then this herd's feed and pasture are not computed."))
            demand = np.nan
        elif demand <= 0:
            out.append(F.make("error", "BAD_VALUE", sheet, int(r["_row"]), "Dry matter demand", letter,
                              "The dry matter demand must be more than 0 (lb of dry matter a head eats a day). "
                              + demand_help(None, unit, lb_per_unit)))
            demand = np.nan
        product, product_key, per_day = r.get("product"), None, np.nan
        if isinstance(product, str) and product.strip():
            product_key = book.code("item", product)
            opd = r.get("output_per_head_per_day")
            if product_key is None:
                out.append(F.make("warning", "UNKNOWN_ITEM", sheet, int(r["_row"]), "Product",
                                  book.letter("Herds", "Product"),
                                  f"'{product}' is not on the Items sheet, so the herd's output cannot be checked. "
                                  "Add it there (Kind: Livestock product) or correct the spelling."))
            elif pd.notna(opd):
                own = item_units.get(product_key) or unit
                conv = kg_factors(pd.Series([own]), pd.Series([product_key]), item_units, kpu)
                if conv.problem.iloc[0] is not None:
                    out.append(F.make("warning", "BAD_UNIT", sheet, int(r["_row"]), "Output per head per day",
                                      book.letter("Herds", "Output per head per day"),
                                      f"The output per head per day is in {product}'s unit '{own}', which massbal "
                                      f"cannot weigh: {conv.problem.iloc[0]}"))
                else:
                    per_day = float(opd) * float(conv.factor.iloc[0]) * rf
        rows.append({"key": key, "herd": r["herd"], "species": r["species"], "class": r.get("class"),
                     "ruminant": is_ruminant(r["species"], r.get("ruminant")), "demand": demand,
                     "grazing_start": r.get("grazing_start"), "grazing_end": r.get("grazing_end"),
                     "product": product if product_key is not None else None, "product_key": product_key,
                     "output_per_day": per_day, "_row": int(r["_row"])})
    cols = ["key", "herd", "species", "class", "ruminant", "demand", "grazing_start", "grazing_end", "product",
            "product_key", "output_per_day", "_row"]
    return pd.DataFrame(rows, columns=cols).set_index("key", drop=False)


def demand_help(weight_lb: float | None, unit: str, lb_per_unit: float) -> str:
    """What to fill in as Dry matter demand (NOP 5017; DOMAIN.md), in the report unit."""
    def u(lb: float) -> str:
        return f"{lb / lb_per_unit:,.0f}"
    hint = (f" For {u(weight_lb)} {unit} of body weight that is about {u(weight_lb * 0.025)} to "
            f"{u(weight_lb * 0.03)} {unit}." if weight_lb else "")
    return ("Fill in the dry matter demand: the dry matter one head eats a day, about 2.5 to 3 % of body weight "
            f"(NOP Guidance 5017).{hint} Typical figures: Holstein cows about {u(47)}, {u(54)} and {u(61)} {unit} "
            f"at 60, 80 and 100 lb of milk a day, Jersey cows {u(35)} to {u(43)} {unit}.")


def _animals_table(book: Book, herds: pd.DataFrame, out: list) -> pd.DataFrame:
    a = book.tables["Animals"]
    sheet = _sheet(book, "Animals")
    if a.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "herd_key": [], "herd": [], "event": [],
                             "head": [], "organic": [], "certificate": [], "_row": []})
    a = a.assign(herd_key=a["herd"].map(herd_key), event=a["event"].map(lambda e: name_key(e) if e else ""))
    head = a["head"].astype(float)
    frac = head != np.floor(head)
    neg = head < 0
    letter = book.letter("Animals", "Head")
    if frac.any():
        out.append(F.make("error", "BAD_QUANTITY", sheet, a.loc[frac, "_row"].to_numpy(), "Head", letter,
                          "Head " + head[frac].map("{:g}".format) + " is not a whole number of animals. Count "
                          "whole head; this row is left out of the herd's figures until it is fixed."))
    if neg.any():
        out.append(F.make("error", "BAD_QUANTITY", sheet, a.loc[neg, "_row"].to_numpy(), "Head", letter,
                          "Head is negative. Record animals that leave as their own event (sold, culled, died, "
                          "moved out) with a positive number; this row is left out."))
    odd = ~a["event"].isin(list(SIGN) + ["count"])
    if odd.any():
        out.append(F.make("error", "BAD_VALUE", sheet, a.loc[odd, "_row"].to_numpy(), "Event",
                          book.letter("Animals", "Event"),
                          "'" + a.loc[odd, "event"].astype(str) + "' is not an event massbal knows: use count, birth, "
                          "bought, moved in, sold, slaughtered, culled, died or moved out. This row is left out."))
    a = a[~(frac | neg | odd).to_numpy()].reset_index(drop=True)
    unknown = ~a["herd_key"].isin(herds.index)
    if unknown.any():
        out.append(F.make("error", "UNKNOWN_HERD", sheet, a.loc[unknown, "_row"].to_numpy(), "Herd",
                          book.letter("Animals", "Herd"),
                          "'" + a.loc[unknown, "herd"].astype(str) + "' is not a herd on the Herds sheet (or its Herds "
                          "row is incomplete). Add it there with its species and dry matter demand, or correct the "
                          "spelling; its head count is kept as its own herd meanwhile."))
    return a[["date", "herd_key", "herd", "event", "head", "organic", "certificate", "_row"]]


def _move_findings(book: Book, a: pd.DataFrame) -> pd.DataFrame:
    """Animals moved between herds leave one and enter another on the same day."""
    moves = a[a["event"].isin([MOVED_IN, MOVED_OUT])]
    if moves.empty:
        return F.empty()
    signed = moves["head"] * np.where(moves["event"] == MOVED_IN, 1, -1)
    net = signed.groupby(moves["date"]).transform("sum")
    bad = moves[(net != 0).to_numpy()]
    if bad.empty:
        return F.empty()
    net = net[bad.index]
    msgs = [f"On {d:%Y-%m-%d} {abs(n):g} head more moved {'in' if n > 0 else 'out'} than moved "
            f"{'out of' if n > 0 else 'into'} another herd. A move between herds takes two rows, 'moved out' of "
            "one herd and 'moved in' to the other, on the same day; a move off the farm is a sale."
            for d, n in zip(bad["date"], net, strict=True)]
    return F.make("warning", "HERD_MOVE", _sheet(book, "Animals"), bad["_row"].to_numpy(), "Head",
                  book.letter("Animals", "Head"), msgs)


def _certificate_findings(book: Book, a: pd.DataFrame, herds: pd.DataFrame) -> pd.DataFrame:
    """Animals bought as organic need the seller's certificate, like an organic receipt."""
    # bought as organic: Organic = Yes, or left blank (the herd is organic)
    bought = a[(a["event"] == BOUGHT) & ~a["organic"].map(lambda v: v is False or v is np.False_)]
    if bought.empty:
        return F.empty()
    sheet = _sheet(book, "Animals")
    certs = book.tables["Certificates"]
    by_key = {name_key(c): r for c, r in zip(certs["certificate"], certs.to_dict("records"), strict=True)}
    out = []
    for r in bought.to_dict("records"):
        row, cert = int(r["_row"]), r["certificate"]
        if not isinstance(cert, str) or not cert.strip():
            out.append(F.make("error", "CERT_MISSING", sheet, row, "Certificate", book.letter("Animals", "Certificate"),
                              f"{r['head']:g} head bought as organic name no certificate. Add the seller's organic "
                              "certificate to the Certificates sheet and its number here, or mark them Organic = No."))
            continue
        c = by_key.get(name_key(cert))
        if c is None:
            out.append(F.make("error", "CERT_UNKNOWN", sheet, row, "Certificate", book.letter("Animals", "Certificate"),
                              f"Certificate '{cert}' is not on the Certificates sheet. Add it with its Valid to date, "
                              "or correct the number."))
            continue
        vf = c["valid_from"] if pd.notna(c["valid_from"]) else pd.Timestamp("1900-01-01")
        if not (vf <= r["date"] <= c["valid_to"]):
            out.append(F.make("error", "CERT_EXPIRED", sheet, row, "Date", book.letter("Animals", "Date"),
                              f"Bought on {r['date']:%Y-%m-%d} under certificate '{c['certificate']}', valid "
                              f"{vf:%Y-%m-%d} to {c['valid_to']:%Y-%m-%d}: these animals are not certified organic "
                              "unless a certificate covers that date."))
            continue
        scope = c.get("items_covered")
        if isinstance(scope, str) and scope.strip():
            listed = {name_key(p) for p in scope.replace(";", ",").split(",") if p.strip()}
            h = herds.loc[r["herd_key"]] if r["herd_key"] in herds.index else None
            names = {"livestock", "animals", name_key(r["herd"])}
            if h is not None:
                names |= {name_key(h["species"]), name_key(h["class"] or "")}
            if not listed & names:
                out.append(F.make("error", "CERT_SCOPE", sheet, row, "Certificate",
                                  book.letter("Animals", "Certificate"),
                                  f"Certificate '{c['certificate']}' covers {scope.strip()}, not livestock: these "
                                  "animals are not certified organic under it."))
    return F.combine(out)


def _series(animals: pd.DataFrame, keys: list[str], days: pd.DatetimeIndex):
    """Per herd: head at the end of each day (a count sets it, events change it), the
    recorded change of each day, and the count of each day (NaN where none)."""
    n = len(days)
    head, delta, counts, opening = {}, {}, {}, {}
    for key in keys:
        a = animals[animals["herd_key"] == key]
        # an opening count: the herd's first record is a count (events of that day are in it)
        first = a["date"].min() if len(a) else None
        day_one = a[a["date"] == first]
        opening[key] = (int((first - days[0]).days) if len(a) and (day_one["event"] == "count").any() else -1)
        idx = ((a["date"] - days[0]).dt.days).to_numpy()
        is_count = (a["event"] == "count").to_numpy()
        sign = a["event"].map(SIGN).fillna(0).to_numpy()
        d = np.bincount(idx[~is_count], weights=(a["head"].to_numpy() * sign)[~is_count], minlength=n)[:n]
        has = np.zeros(n, dtype=bool)
        has[idx[is_count]] = True
        c = np.bincount(idx[is_count], weights=a["head"].to_numpy()[is_count], minlength=n)[:n]
        cum = np.cumsum(d)
        last = np.maximum.accumulate(np.where(has, np.arange(n), -1))
        safe = np.maximum(last, 0)
        head[key] = np.where(last >= 0, c[safe] + cum - cum[safe], cum)
        delta[key] = d
        counts[key] = np.where(has, c, np.nan)
    return head, delta, counts, opening


def read_herds(book: Book, extra_days: tuple = ()) -> Herds:
    """Herds and Animals, checked, with each herd's daily head count over every day any
    record, the periods asked (`extra_days`) or a grazing season touches."""
    out: list = []
    herds = _herds_table(book, out)
    animals = _animals_table(book, herds, out)
    # herds named only on Animals are kept as their own herds (their demand unknown)
    for key, name in animals.drop_duplicates("herd_key")[["herd_key", "herd"]].itertuples(index=False):
        if key not in herds.index:
            herds.loc[key] = {"key": key, "herd": name, "species": None, "class": None, "ruminant": False,
                              "demand": np.nan, "grazing_start": pd.NaT, "grazing_end": pd.NaT, "product": None,
                              "product_key": None, "output_per_day": np.nan, "_row": np.nan}
    out.append(_move_findings(book, animals))
    out.append(_certificate_findings(book, animals, herds))
    dates = [d for d in list(animals["date"]) + list(extra_days) if pd.notna(d)]
    for col in ("grazing_start", "grazing_end"):
        dates += [d for d in herds[col] if pd.notna(d)]
    lo = min(dates) if dates else pd.Timestamp("2000-01-01")
    hi = max(dates) if dates else lo
    # seasons repeat every year: cover whole years around the data
    days = pd.date_range(pd.Timestamp(lo.year - 1, 1, 1), pd.Timestamp(hi.year + 1, 12, 31), freq="D")
    head, delta, counts, opening = _series(animals, list(herds.index), days)
    return Herds(herds, animals, F.combine(out), days, head, opening, delta, counts)


# ------------------------------------------------------------------ herd balance

def herd_balance(h: Herds, output: pd.DataFrame, periods, harvest_tol: float, book: Book
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per herd and period: (J + L) - (K + M) against the count N, head-days and
    the product output against what the head-days could give."""
    rows, out = [], []
    a = h.animals
    for key, herd in h.herds.iterrows():
        ev = a[a["herd_key"] == key]
        head = h.head[key]
        first = h.opening[key]
        for s, e in periods:
            i, j = h.day(s), h.day(e)
            if j <= first:
                continue  # the herd's records start after this period
            sub = ev[(ev["date"] >= s) & (ev["date"] <= e)]
            if i <= first:  # the opening count is the beginning; what happened after it counts
                beginning = float(head[first])
                sub = sub[sub["date"] > h.days[first]]
                i = first + 1
            else:
                beginning = float(head[i - 1]) if i > 0 else 0.0
            sums = sub.groupby("event")["head"].sum()
            if beginning == 0 and sub.empty:
                continue
            r = {"herd": herd["herd"], "start": s, "end": e, "beginning": beginning}
            for ev_name, col in ((BORN, "born"), (BOUGHT, "bought"), (MOVED_IN, "moved_in"), (SOLD, "sold"),
                                 (SLAUGHTERED, "slaughtered"), (CULLED, "culled"), (MOVED_OUT, "moved_out"),
                                 (DIED, "died")):
                r[col] = float(sums.get(ev_name, 0.0))
            r["expected_ending"] = (beginning + r["born"] + r["bought"] + r["moved_in"]
                                    - r["sold"] - r["slaughtered"] - r["culled"] - r["moved_out"] - r["died"])
            counted = h.counts[key][j]
            r["counted_ending"] = None if np.isnan(counted) else float(counted)
            r["difference"] = None if np.isnan(counted) else float(counted) - r["expected_ending"]
            span = head[i:j + 1]
            r["head_days"] = float(h.on_hand(key)[i:j + 1].sum())
            running = beginning + np.cumsum(h.book_delta[key][i:j + 1])
            r["_from"] = h.days[i]  # the first day `running` covers
            negative = bool((running < 0).any() or (span < 0).any())
            if negative:
                r["status"] = "NEGATIVE"
            elif r["counted_ending"] is None:
                r["status"] = "NO COUNT"
            else:
                r["status"] = "PASS" if r["difference"] == 0 else "INVESTIGATE"
            r["output"] = r["output_expected"] = r["output_pct"] = None
            if pd.notna(herd["product_key"]):
                got = output[(output["herd_key"] == key) & (output["item_key"] == herd["product_key"]) &
                             (output["date"] >= s) & (output["date"] <= e)]
                r["output"] = float(got["qty"].sum())
                if pd.notna(herd["output_per_day"]):
                    r["output_expected"] = r["head_days"] * herd["output_per_day"]
                    if r["output_expected"] > 0:
                        r["output_pct"] = round(100 * r["output"] / r["output_expected"], 2)
            rows.append(r)
            out.append(_herd_row_findings(book, h, herd, ev, r, running, harvest_tol))
    cols = ["herd", "start", "end", "beginning", "born", "bought", "moved_in", "sold", "slaughtered", "culled",
            "moved_out", "died", "expected_ending", "counted_ending", "difference", "head_days", "output",
            "output_expected", "output_pct", "status"]
    return pd.DataFrame(rows, columns=cols), F.combine(out)


def _herd_row_findings(book: Book, h: Herds, herd, ev: pd.DataFrame, r: dict, running: np.ndarray,
                       harvest_tol: float) -> pd.DataFrame:
    sheet = _sheet(book, "Animals")
    letter = book.letter("Animals", "Head")
    name, s, e = r["herd"], r["start"], r["end"]
    out = []
    if r["status"] == "NEGATIVE" and r["beginning"] >= 0 and (running < 0).any():
        day = r["_from"] + pd.Timedelta(days=int(np.argmax(running < 0)))
        rows = ev[(ev["date"] == day) & (ev["event"] != "count")]["_row"]
        out.append(F.make("error", "NEGATIVE_BALANCE", sheet, int(rows.iloc[-1]) if len(rows) else None, "Head", letter,
                      f"On {day:%Y-%m-%d} the head count of {name} falls to {running.min():g}: more animals left than "
                      "the herd held. Look for a missing birth, purchase or move in, or an event keyed too high."))
    if r["status"] == "INVESTIGATE":
        rows = ev[(ev["date"] == e) & (ev["event"] == "count")]["_row"]
        L = r["born"] + r["bought"] + r["moved_in"]
        K = r["sold"] + r["slaughtered"] + r["culled"] + r["moved_out"]
        out.append(F.make("error", "HEAD_COUNT", sheet, int(rows.iloc[0]), "Head", letter,
                      f"Counted {r['counted_ending']:g} head of {name} on {e:%Y-%m-%d} but the records give "
                      f"{r['expected_ending']:g} ({r['beginning']:g} at the start + {L:g} born, bought or moved in "
                      f"- {K:g} sold, slaughtered, culled or moved out - {r['died']:g} died): "
                      f"{abs(r['difference']):g} head {'more' if r['difference'] > 0 else 'fewer'} than recorded. "
                      "Record the missing births, purchases, sales or deaths, or correct the count."))
    if (r["output_expected"] or 0) > 0 and r["output"] > r["output_expected"] * (1 + harvest_tol / 100):
        unit = book.settings.unit
        out.append(F.make("warning", "OUTPUT_OVER_EXPECTED", _sheet(book, "Herds"), herd["_row"] if pd.notna(herd["_row"])
                      else None, "Output per head per day", book.letter("Herds", "Output per head per day"),
                      f"Harvests record {r['output']:,.0f} {unit} of {herd['product']} from {name} between "
                      f"{s:%Y-%m-%d} and {e:%Y-%m-%d}, {r['output_pct']:g} % of the {r['output_expected']:,.0f} {unit} "
                      f"that {r['head_days']:,.0f} head-days can give: more than the animals could give (tolerance "
                      f"{harvest_tol:g} %). Check for a double entry, or product of another herd or farm."))
    return F.combine(out)
