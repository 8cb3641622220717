"""What the herds ate (CONTRACT section 6): the feed balance and the pasture check.

Demand is what the animals on hand needed (head-days x dry matter demand); fed is the
dry matter of the FarmUse feed rows naming the herd (as fed x the feed's Dry matter %).
On the days of a ruminant herd's grazing season, demand that feed does not meet is
taken from pasture; anywhere else it is a shortfall no record explains. The pasture
check is per grazing season, whatever periods are asked: a season is judged whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from massbal.engine import findings as F
from massbal.engine.load import Book
from massbal.engine.schema import header_key, name_key

from .herd import Herds, herd_key

AMBER_STATUSES = ("NO DEMAND", "DM % MISSING", "IN SEASON")


@dataclass(frozen=True)
class FarmSettings:
    harvest_tolerance_pct: float = 15.0
    feed_tolerance_pct: float = 10.0
    pasture_dmi_pct: float = 30.0
    grazing_days: float = 120.0


FARM_SETTING_KEYS = {"harvesttolerance%": "harvest_tolerance_pct", "feedtolerance%": "feed_tolerance_pct",
                     "pasturedmi%": "pasture_dmi_pct", "grazingdays": "grazing_days"}


def farm_settings(book: Book) -> tuple[FarmSettings, pd.DataFrame]:
    values, out = {}, []
    t = book.tables["Settings"]
    for rec in t.to_dict("records"):
        field = FARM_SETTING_KEYS.get(header_key(rec["setting"]))
        if not field:
            continue
        text = str(rec["value"]).replace("%", "").replace(",", ".").strip()
        try:
            v = float(text)
            if v < 0:
                raise ValueError
        except ValueError:
            out.append(F.make("warning", "BAD_VALUE", book.sheets["Settings"], int(rec["_row"]), "Value",
                              book.letter("Settings", "Value"),
                              f"'{rec['value']}' is not a number; the default {rec['setting']} is used instead."))
            continue
        if field != "grazing_days" and 0 < v < 1 and "%" not in str(rec["value"]):
            v *= 100  # a cell formatted as percent holds 0.3 for 30 %
        values[field] = v
    return FarmSettings(**values), F.combine(out)


def _conventional_lots(book: Book) -> dict:
    """(item_key, lot_key) -> why, for every lot that is not organic: a receipt or harvest
    marked Organic = No, or a harvest from a field not organic that season."""
    out = {}
    r = book.tables["Receipts"]
    if len(r):
        conv = r[r["organic"].map(lambda v: v is False or v is np.False_).to_numpy()]
        for k in zip(conv["item_key"], conv["lot_key"], strict=True):
            out[k] = "its receipt says Organic = No"
    h = book.tables["Harvests"]
    if len(h):
        fields = book.tables["Fields"]
        not_organic = {(name_key(f), int(s)) for f, s, o in zip(fields["field"], fields["season"], fields["organic"], strict=True)
                       if isinstance(o, str) and name_key(o) != "yes" and pd.notna(s)}
        for rec in h.to_dict("records"):
            k = (rec["item_key"], rec["lot_key"])
            if rec["organic"] is False or rec["organic"] is np.False_:
                out[k] = "its harvest says Organic = No"
            elif isinstance(rec["field"], str) and (name_key(rec["field"]), rec["date"].year) in not_organic:
                out[k] = f"it was harvested from {rec['field']}, which is not organic in {rec['date'].year}"
    return out


def feeding(book: Book, h: Herds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FarmUse feed rows: date, herd_key, item, dm (fraction, NaN when unknown), qty, dm_qty,
    conventional, _row; and the findings about them and their feeds' Dry matter %."""
    fu = book.tables["FarmUse"]
    cols = ["date", "herd_key", "item", "item_key", "qty", "dm", "dm_qty", "conventional", "_row"]
    if fu.empty:
        return _empty(cols), F.empty()
    sheet = book.sheets["FarmUse"]
    fu = fu[fu["use"].map(lambda u: isinstance(u, str) and name_key(u) == "feed")]
    fu = fu.assign(herd_key=fu["herd"].map(herd_key))
    out = []
    no_herd = fu["herd_key"] == ""
    if no_herd.any():
        out.append(F.make("warning", "MISSING_VALUE", sheet, fu.loc[no_herd, "_row"].to_numpy(), "Herd",
                          book.letter("FarmUse", "Herd"), "This feed row names no herd, so it counts in no herd's feed "
                          "balance. Fill in the herd that ate it."))
    unknown = ~no_herd & ~fu["herd_key"].isin(h.herds.index)
    if unknown.any():
        out.append(F.make("error", "UNKNOWN_HERD", sheet, fu.loc[unknown, "_row"].to_numpy(), "Herd",
                          book.letter("FarmUse", "Herd"), "'" + fu.loc[unknown, "herd"].astype(str) + "' is not a herd "
                          "on the Herds sheet. Add it there, or correct the spelling."))
    # the feed's dry matter, from Items; a feed fed without it is an error at that Items cell
    items = book.items
    dm = items["dry_matter_pct"].astype(float) if "dry_matter_pct" in items.columns else pd.Series(np.nan, index=items.index)
    dm = dm.where(~((dm > 0) & (dm <= 1)), dm * 100)  # a cell formatted as percent holds 0.9 for 90 %
    bad = dm.notna() & ((dm <= 0) | (dm > 100))
    fed_keys = set(fu["item_key"])
    letter = book.letter("Items", "Dry matter %")
    for key in sorted(fed_keys, key=str):
        if key not in items.index or not bool(items.at[key, "listed"]):
            continue  # UNKNOWN_ITEM says so already
        row = int(items.at[key, "_row"])
        if bool(bad.get(key, False)):
            out.append(F.make("error", "BAD_VALUE", book.sheets["Items"], row, "Dry matter %", letter,
                              f"Dry matter % of {items.at[key, 'item']} is {dm[key]:g}, not a percentage between 0 "
                              "and 100. Until it is fixed its feed is left out of the dry matter fed."))
        elif pd.isna(dm.get(key, np.nan)):
            out.append(F.make("error", "MISSING_VALUE", book.sheets["Items"], row, "Dry matter %", letter,
                              f"{items.at[key, 'item']} is fed to herds but has no Dry matter %. Fill it in (as fed: hay "
                              "about 90, grain 88, corn silage 35, haylage 35 to 60, pasture grass 20); until then "
                              "its feed is left out of the dry matter fed."))
    frac = fu["item_key"].map(dm.where(~bad) / 100)
    conv_lots = _conventional_lots(book)
    organic_item = fu["item_key"].map(items["organic"]).fillna(True).astype(bool)
    lot_conv = pd.Series([k in conv_lots for k in zip(fu["item_key"], fu["lot_key"], strict=True)], index=fu.index, dtype=bool)
    conventional = lot_conv | ~organic_item
    hit = fu[conventional.to_numpy() & fu["herd_key"].isin(h.herds.index).to_numpy()]
    for by_lot, column in ((True, "Lot"), (False, "Item")):
        sub = hit[(lot_conv[hit.index] == by_lot).to_numpy()]
        if sub.empty:
            continue
        why = ([f" lot {lot} of {item} is conventional: {conv_lots[k]}" for lot, item, k in
                zip(sub["lot"], sub["item"], zip(sub["item_key"], sub["lot_key"], strict=True), strict=True)]
               if by_lot else [f" {item} is not organic (Items sheet)" for item in sub["item"]])
        out.append(F.make("error", "NONORGANIC_FEED", sheet, sub["_row"].to_numpy(), column,
                          book.letter("FarmUse", column),
                          "This row feeds " + sub["herd"].astype(str) + ", an organic herd, but" + pd.Series(why, index=sub.index) +
                          ". Organic animals must eat organic feed: correct the lot, or take it up with your "
                          "certifier (the animals may lose their organic status)."))
    frame = pd.DataFrame({"date": fu["date"], "herd_key": fu["herd_key"], "item": fu["item"], "item_key": fu["item_key"],
                          "qty": fu["qty"], "dm": frac, "dm_qty": fu["qty"] * frac, "conventional": conventional,
                          "_row": fu["_row"]})
    return frame[frame["herd_key"].isin(h.herds.index).to_numpy()].reset_index(drop=True), F.combine(out)


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else bool if c == "conventional" else
                                      float if c in ("qty", "dm", "dm_qty") else object) for c in cols})


def herd_output(book: Book, h: Herds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Harvests rows taken from a herd (milk, eggs, wool)."""
    hv = book.tables["Harvests"]
    cols = ["date", "herd_key", "item_key", "qty"]
    if hv.empty or "herd" not in hv.columns:
        return _empty(cols), F.empty()
    hv = hv.assign(herd_key=hv["herd"].map(herd_key))
    hv = hv[hv["herd_key"] != ""]
    unknown = ~hv["herd_key"].isin(h.herds.index)
    found = F.empty()
    if unknown.any():
        found = F.make("error", "UNKNOWN_HERD", book.sheets["Harvests"], hv.loc[unknown, "_row"].to_numpy(), "Herd",
                       book.letter("Harvests", "Herd"), "'" + hv.loc[unknown, "herd"].astype(str) + "' is not a herd on "
                       "the Herds sheet. Add it there, or correct the spelling.")
    return hv[cols].reset_index(drop=True), found


# ------------------------------------------------------------------ daily figures

def _daily(h: Herds, feed: pd.DataFrame, key: str) -> dict[str, np.ndarray]:
    """Per day of h.days: head, fed dry matter (known), of it conventional, and as-fed
    weight whose dry matter is unknown."""
    n = len(h.days)
    f = feed[feed["herd_key"] == key]
    idx = (f["date"] - h.days[0]).dt.days.to_numpy()
    ok = f["dm"].notna().to_numpy()
    dmq = f["dm_qty"].fillna(0).to_numpy()
    conv = f["conventional"].to_numpy(dtype=bool)
    return {"head": h.on_hand(key),
            "fed": np.bincount(idx, weights=dmq, minlength=n)[:n],
            "fed_conv": np.bincount(idx, weights=dmq * conv, minlength=n)[:n],
            "no_dm": np.bincount(idx[~ok], weights=f["qty"].to_numpy()[~ok], minlength=n)[:n]}


def seasons(herd, lo: pd.Timestamp, hi: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The herd's grazing seasons (Grazing start to Grazing end, in each year) that touch [lo, hi]."""
    gs, ge = herd["grazing_start"], herd["grazing_end"]
    if pd.isna(gs) or pd.isna(ge):
        return []
    out = []
    for year in range(lo.year - 1, hi.year + 1):
        s = _on(year, gs.month, gs.day)
        e = _on(year + (1 if (ge.month, ge.day) < (gs.month, gs.day) else 0), ge.month, ge.day)
        if e >= lo and s <= hi:
            out.append((s, e))
    return out


def _on(year: int, month: int, day: int) -> pd.Timestamp:
    try:
        return pd.Timestamp(year, month, day)
    except ValueError:  # 29 February in a common year
        return pd.Timestamp(year, month, 28)


def in_season_mask(h: Herds, herd) -> np.ndarray:
    mask = np.zeros(len(h.days), dtype=bool)
    if not herd["ruminant"]:
        return mask
    for s, e in seasons(herd, h.days[0], h.days[-1]):
        mask[max(h.day(s), 0):max(h.day(e) + 1, 0)] = True
    return mask


def feed_balance(h: Herds, feed: pd.DataFrame, periods, st: FarmSettings, book: Book
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, out = [], []
    tol = st.feed_tolerance_pct
    for key, herd in h.herds.iterrows():
        d = _daily(h, feed, key)
        season = in_season_mask(h, herd)
        demand = herd["demand"]
        for s, e in periods:
            i, j = h.day(s), h.day(e) + 1
            head_days = float(d["head"][i:j].sum())
            fed = float(d["fed"][i:j].sum())
            no_dm = float(d["no_dm"][i:j].sum())
            if head_days == 0 and fed == 0 and no_dm == 0:
                continue
            conv = float(d["fed_conv"][i:j].sum())
            r = {"herd": herd["herd"], "start": s, "end": e, "head_days": head_days, "fed_dm": fed,
                 "fed_organic_dm": fed - conv, "fed_nonorganic_dm": conv, "fed_without_dm": no_dm}
            if pd.isna(demand):
                r.update(demand_dm=None, pasture_dm=None, shortfall_dm=None, shortfall_pct=None, status="NO DEMAND")
            else:
                dem = d["head"][i:j] * demand
                sm = season[i:j]
                r["demand_dm"] = float(dem.sum())
                r["pasture_dm"] = max(0.0, float(dem[sm].sum()) - float(d["fed"][i:j][sm].sum()))
                r["shortfall_dm"] = r["demand_dm"] - fed - r["pasture_dm"]
                r["shortfall_pct"] = round(100 * round(r["shortfall_dm"], 2) / r["demand_dm"], 2) if r["demand_dm"] > 0 else None
                if no_dm > 0:
                    r["status"] = "DM % MISSING"
                elif r["shortfall_pct"] is not None and r["shortfall_pct"] > tol:
                    r["status"] = "SHORT"
                else:
                    r["status"] = "PASS"
            r["tolerance_pct"] = tol
            rows.append(r)
            if r["status"] == "SHORT":
                unit = book.settings.unit
                out.append(F.make("warning", "FEED_SHORTFALL", book.sheets.get("Herds", "Herds"),
                                  herd["_row"] if pd.notna(herd["_row"]) else None, "Herd", book.letter("Herds", "Herd"),
                                  f"Between {s:%Y-%m-%d} and {e:%Y-%m-%d} {herd['herd']} needed {r['demand_dm']:,.0f} "
                                  f"{unit} of dry matter ({head_days:,.0f} head-days x {demand:g}) but the feed rows give "
                                  f"{fed:,.0f} and pasture {r['pasture_dm']:,.0f}: {r['shortfall_dm']:,.0f} {unit} "
                                  f"({r['shortfall_pct']:g} %) that no record explains. Record the feed fed (FarmUse, "
                                  "Use = feed), or check the herd's demand and head count."))
    cols = ["herd", "start", "end", "head_days", "demand_dm", "fed_dm", "fed_organic_dm", "fed_nonorganic_dm",
            "fed_without_dm", "pasture_dm", "shortfall_dm", "shortfall_pct", "tolerance_pct", "status"]
    return _rounded(pd.DataFrame(rows, columns=cols)), F.combine(out)


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Dry matter to the hundredth of the report unit: sums of many rows carry float dust."""
    dm = [c for c in frame.columns if c.endswith("_dm") or c == "fed_without_dm"]
    return frame.assign(**{c: pd.to_numeric(frame[c]).round(2) for c in dm}) if len(frame) else frame


def pasture(h: Herds, feed: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, st: FarmSettings, book: Book,
            today: pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per ruminant herd and grazing season touching [lo, hi], each season whole."""
    rows, out = [], []
    today = (today or pd.Timestamp.today()).normalize()
    sheet = book.sheets.get("Herds", "Herds")
    below = "BELOW 30%" if st.pasture_dmi_pct == 30 else f"BELOW {st.pasture_dmi_pct:g}%"
    for key, herd in h.herds.iterrows():
        if not herd["ruminant"]:
            continue
        d = _daily(h, feed, key)
        touched = d["head"][max(h.day(lo), 0):h.day(hi) + 1].sum() > 0
        where = int(herd["_row"]) if pd.notna(herd["_row"]) else None
        if (pd.isna(herd["grazing_start"]) or pd.isna(herd["grazing_end"])) and touched and where:
            out.append(F.make("error", "GRAZING_SEASON", sheet, where, "Grazing start", book.letter("Herds", "Grazing start"),
                              f"{herd['herd']} are ruminants but have no grazing season. Fill in Grazing start and Grazing "
                              f"end (at least {st.grazing_days:g} days a year on pasture), or set Ruminant = No if they "
                              "are not."))
            continue
        for s, e in seasons(herd, lo, hi):
            i, j = h.day(s), h.day(e) + 1
            head_days = float(d["head"][i:j].sum())
            if head_days == 0:
                continue
            fed = float(d["fed"][i:j].sum())
            r = {"herd": herd["herd"], "start": s, "end": e, "days": (e - s).days + 1, "head_days": head_days, "fed_dm": fed}
            demand = herd["demand"]
            if pd.isna(demand):
                r.update(demand_dm=None, pasture_dm=None, dmi_pct=None, status="NO DEMAND")
            else:
                r["demand_dm"] = head_days * demand
                r["pasture_dm"] = r["demand_dm"] - fed
                r["dmi_pct"] = round(100 * r["pasture_dm"] / r["demand_dm"], 2)
                if d["no_dm"][i:j].sum() > 0:
                    r["status"] = "DM % MISSING"
                elif e >= today:
                    r["status"] = "IN SEASON"
                elif r["dmi_pct"] < st.pasture_dmi_pct:
                    r["status"] = below
                elif r["days"] < st.grazing_days:
                    r["status"] = "SHORT SEASON"
                else:
                    r["status"] = "PASS"
                if r["status"] not in AMBER_STATUSES:
                    if r["dmi_pct"] < st.pasture_dmi_pct:
                        out.append(F.make("error", "PASTURE_DMI", sheet, where, "Herd", book.letter("Herds", "Herd"),
                                          f"Over the grazing season {s:%Y-%m-%d} to {e:%Y-%m-%d} {herd['herd']} took "
                                          f"{r['dmi_pct']:g} % of their dry matter from pasture (needed "
                                          f"{r['demand_dm']:,.0f} {book.settings.unit} of dry matter, fed {fed:,.0f}); ruminants need at least "
                                          f"{st.pasture_dmi_pct:g} % (7 CFR 205.237). Graze more and feed less in the "
                                          "season, or check the feed rows and the herd's demand."))
                    if r["days"] < st.grazing_days:
                        out.append(F.make("error", "GRAZING_SEASON", sheet, where, "Grazing end",
                                          book.letter("Herds", "Grazing end"),
                                          f"The grazing season of {herd['herd']} ({s:%Y-%m-%d} to {e:%Y-%m-%d}) is "
                                          f"{r['days']} days; it must be at least {st.grazing_days:g} (7 CFR 205.237)."))
            rows.append(r)
    cols = ["herd", "start", "end", "days", "head_days", "demand_dm", "fed_dm", "pasture_dm", "dmi_pct", "status"]
    return _rounded(pd.DataFrame(rows, columns=cols)), F.combine(out)
