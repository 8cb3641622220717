"""The crop farm's mass balance (CONTRACT section 6): the Crop and Harvest figures.

Crop balance, per crop and season (a calendar year), in the NOP instruction's letters:
A beginning + B organic harvests + C organic receipts - D sold - E losses - F farm use
= accounted, against G the count on 31 December, and against what the certified acres
can grow (acres x expected yield). Only organic stock is in it: a lot harvested from a
transitional field or a buffer strip, or received as conventional, is the farm's stock
(its item balance has it) but not organic crop, so its later sale or use is left out too.

Field yield, per Fields row: what that field gave against what it should, and the seed
planted against acres x seeding rate. Seed rows are dated at planting: a row dated
August to December plants the next season's crop (winter wheat), the rest this season's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine import findings as F
from massbal.engine.load import Book
from massbal.engine.roll import EPS, ledger_openings, roll
from massbal.engine.units import kg_factors, report_factor

from .farm_ledger import field_keys, fields_table, harvest_field_status

CROP_COLUMNS = [
    "crop", "season", "start", "end", "beginning", "harvested", "bought", "sold", "losses", "farm_use",
    "accounted", "counted_ending", "difference", "acres", "expected_harvest", "harvest_pct",
    "tolerance_pct", "status",
]
FIELD_COLUMNS = [
    "field", "crop", "season", "organic", "acres", "expected_yield", "yield_unit", "harvested_per_acre",
    "expected_harvest", "harvested", "harvest_pct", "seed", "seed_planted", "seed_expected", "yield_source",
    "status",
]
DEFAULT_HARVEST_TOLERANCE = 15.0
FALL_PLANTING_MONTH = 8  # seed planted from August on is for next year's harvest


def is_farm(book: Book) -> bool:
    return any(len(book.tables[t]) for t in ("Fields", "Harvests", "FarmUse", "Applications"))


def _item_units(book: Book) -> tuple[dict, dict]:
    items = book.items
    units = {k: u for k, u in zip(items["item_key"], items["unit"], strict=True) if isinstance(u, str) and u.strip()}
    kpu = {k: float(v) for k, v in zip(items["item_key"], items["kg_per_unit"], strict=True) if pd.notna(v)}
    return units, kpu


def _to_report(book: Book, units: pd.Series, item_keys: pd.Series) -> pd.Series:
    """Report-unit factor of each (unit, item); NaN where the unit cannot be converted."""
    iu, kpu = _item_units(book)
    conv = kg_factors(units.astype(object).where(units.notna(), ""), item_keys, iu, kpu)
    return conv.factor * report_factor(book.settings.unit)


def harvest_tolerance(book: Book) -> float:
    return float(getattr(book.settings, "harvest_tolerance_pct", DEFAULT_HARVEST_TOLERANCE))


# ------------------------------------------------------------------ Fields, once

def field_rows(book: Book) -> pd.DataFrame:
    """Fields rows with what every figure needs: keys, expected harvest and seed expected
    in the report unit, the harvests and seed of each row."""
    f = fields_table(book).reset_index(drop=True)
    yf = _to_report(book, f["yield_unit"], f["crop_key"])
    f["expected_harvest"] = f["acres"] * f["expected_yield"] * yf.to_numpy()
    f["yield_factor"] = yf.to_numpy()
    seed_item = f["seed_key"].where(f["seed_key"] > 0, f["crop_key"])
    sf = _to_report(book, f["seed_unit"], seed_item)
    f["seed_expected"] = (f["acres"] * f["seeding_rate"] * sf.to_numpy()).where(f["seeding_rate"].notna())
    f["_i"] = np.arange(len(f))

    # harvests of the row's crop from its field in its season
    h = book.tables["Harvests"]
    st = harvest_field_status(book)
    hv = pd.DataFrame({"field_key": st["field_key"].to_numpy(), "season": st["season"].to_numpy(),
                       "crop_key": h["item_key"].to_numpy(), "qty": h["qty"].to_numpy()})
    first = f.drop_duplicates(["field_key", "season", "crop_key"])[["field_key", "season", "crop_key", "_i"]]
    got = hv.merge(first, on=["field_key", "season", "crop_key"]).groupby("_i")["qty"].sum()
    f["harvested"] = f["_i"].map(got).fillna(0.0)

    # seed planted: FarmUse seed rows and Applications of Seed items naming the field
    u = book.tables["FarmUse"]
    u = u[u["use"].astype(str).str.strip().str.casefold().eq("seed").to_numpy()]
    a = book.tables["Applications"]
    a = a[a["item_key"].map(book.items["kind"]).eq("Seed").to_numpy()]
    seed = pd.concat([pd.DataFrame({"field": u["field"], "date": u["date"], "item_key": u["item_key"], "qty": u["qty"]}),
                      pd.DataFrame({"field": a["field"], "date": a["date"], "item_key": a["item_key"], "qty": a["qty"]})],
                     ignore_index=True)
    if len(seed):
        seed["field_key"] = field_keys(seed["field"])
        seed["season"] = (seed["date"].dt.year + (seed["date"].dt.month >= FALL_PLANTING_MONTH)).astype("Int64")
        rows = f[["field_key", "season", "_i"]].assign(seed_item=seed_item.to_numpy())
        seed["_s"] = np.arange(len(seed))
        # the field's row sown with this seed that season, else its (first) row that season
        exact = seed.merge(rows.drop_duplicates(["field_key", "season", "seed_item"]),
                           left_on=["field_key", "season", "item_key"], right_on=["field_key", "season", "seed_item"])
        rest = seed[~seed["_s"].isin(exact["_s"])]
        loose = rest.merge(rows.drop_duplicates(["field_key", "season"]), on=["field_key", "season"])
        planted = pd.concat([exact, loose]).groupby("_i")["qty"].sum()
        f["seed_planted"] = f["_i"].map(planted).fillna(0.0)
    else:
        f["seed_planted"] = 0.0
    return f


def field_yields(book: Book, f: pd.DataFrame, seasons: set | None = None) -> pd.DataFrame:
    """The Harvest sheet: one row per Fields row (of the seasons asked)."""
    if seasons is not None:
        f = f[f["season"].isin(seasons).to_numpy()]
    tol = harvest_tolerance(book)
    exp = f["expected_harvest"]
    pct = (100.0 * f["harvested"] / exp.where(exp > EPS)).round(2)
    # no expected harvest to judge against (a unit that cannot be converted, zero acres):
    # said, not passed (the Fields row has its finding)
    status = np.select([f["harvested"] <= EPS, pct.isna(), pct > 100 + tol, pct < 100 - 2 * tol],
                       ["NO HARVEST", "NO EXPECTED", "OVER EXPECTED", "UNDER EXPECTED"], "PASS")
    out = pd.DataFrame({
        "field": f["field"], "crop": f["crop"], "season": f["season"], "organic": f["status"],
        "acres": f["acres"], "expected_yield": f["expected_yield"], "yield_unit": f["yield_unit"],
        "harvested_per_acre": (f["harvested"] / f["yield_factor"] / f["acres"].where(f["acres"] > 0)).round(2),
        "expected_harvest": exp.round(6), "harvested": f["harvested"].round(6), "harvest_pct": pct,
        "seed": f["seed"].where(f["seed"].notna(), f["crop"].where(f["seeding_rate"].notna())),
        "seed_planted": f["seed_planted"].round(6),
        "seed_expected": f["seed_expected"].round(6), "yield_source": f["yield_source"],
        "status": status,
    })
    out["_row"] = f["_row"].to_numpy()
    out["yield_factor"] = f["yield_factor"].to_numpy()  # report unit per yield unit (the export shows it)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------ Crop balance

def crop_balances(book: Book, ledger: pd.DataFrame, f: pd.DataFrame, years: list[int],
                  item_keys: set | None = None) -> pd.DataFrame:
    """The Crop sheet: one row per crop and season of `years`."""
    items = book.items
    crops = set(items.index[items["kind"].eq("Crop")]) | set(f["crop_key"][f["crop_key"] > 0])
    if item_keys is not None:
        crops &= set(item_keys)
    if not crops or not years:
        return pd.DataFrame(columns=CROP_COLUMNS)
    lg = ledger.loc[ledger["item_key"].isin(crops).to_numpy(),
                    ["item_key", "lot_key", "date", "kind", "qty", "organic"]]
    kind = lg["kind"].astype(object)
    # conventional lots: received or harvested as not organic; every later row of them is out
    src = kind.isin(("receipt", "harvested"))
    conv = lg[src & ~lg["organic"].fillna(True).astype(bool)]
    conv_lots = conv.loc[conv["lot_key"] != 0, ["item_key", "lot_key"]].drop_duplicates()
    lg = lg.merge(conv_lots.assign(_conv=True), on=["item_key", "lot_key"], how="left")
    keep = ~lg["_conv"].fillna(False).astype(bool) & ~(src.to_numpy() & ~lg["organic"].fillna(True).astype(bool))
    lg = lg[keep.to_numpy()]
    k = lg["kind"].astype(object).replace({"applied": "farm use"})
    flows = lg[k.isin(("receipt", "harvested", "produced", "used", "shipped", "loss", "farm use")).to_numpy()]
    moves = pd.DataFrame({"item_key": flows["item_key"].to_numpy(), "date": flows["date"].to_numpy(),
                          "kind": k[flows.index].to_numpy(), "value": flows["qty"].to_numpy()})
    cnt = lg[(k == "count").to_numpy()]
    counts = pd.DataFrame({"item_key": cnt["item_key"].to_numpy(), "date": cnt["date"].to_numpy(),
                           "value": cnt["qty"].to_numpy()})
    days = counts[["item_key", "date"]].drop_duplicates()
    periods = [(pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31)) for y in years]
    keys = pd.DataFrame({"item_key": sorted(crops)})
    g = roll(moves, counts, days, periods, ["item_key"], ["item_key"], keys=keys,
             openings=ledger_openings(ledger, ["item_key"]))
    g["season"] = g["start"].dt.year

    org = f[f["status"].eq("Yes").to_numpy()]
    exp = org.groupby(["crop_key", "season"])[["acres", "expected_harvest"]].sum().reset_index()
    exp["season"] = exp["season"].astype(int)
    g = g.merge(exp.rename(columns={"crop_key": "item_key"}), on=["item_key", "season"], how="left")
    # a season shows when the crop was grown, moved or held then (not for a count alone: the
    # opening count on 31 December belongs to the next season as its beginning)
    planted = set(zip(f["crop_key"], f["season"].astype("Int64"), strict=True))
    moved = g[[f"sum_{k}" for k in ("receipt", "harvested", "produced", "used", "shipped", "loss", "farm use")]].abs().sum(axis=1) > EPS
    shown = moved | ((g["beginning"].abs() > EPS) & ~g["opened"]) | pd.Series(
        [(a, b) in planted for a, b in zip(g["item_key"], g["season"], strict=True)], index=g.index)
    g = g[shown.to_numpy()]
    out = pd.DataFrame({
        "crop": g["item_key"].map(items["item"]).to_numpy(), "season": g["season"].to_numpy(),
        "start": g["start"].to_numpy(), "end": g["end"].to_numpy(),
        "beginning": g["beginning"].to_numpy(), "harvested": g["sum_harvested"].to_numpy(),
        "bought": g["sum_receipt"].to_numpy(), "sold": g["sum_shipped"].to_numpy(),
        "losses": g["sum_loss"].to_numpy(), "farm_use": g["sum_farm use"].to_numpy(),
    })
    out["accounted"] = out["beginning"] + out["harvested"] + out["bought"] - out["sold"] - out["losses"] - out["farm_use"]
    out["counted_ending"] = g["counted_end"].to_numpy()
    out["difference"] = out["counted_ending"] - out["accounted"]
    out["acres"] = g["acres"].fillna(0.0).to_numpy()
    out["expected_harvest"] = g["expected_harvest"].fillna(0.0).to_numpy()
    out["harvest_pct"] = (100.0 * out["harvested"] / out["expected_harvest"].where(out["expected_harvest"] > EPS)).round(2)
    out["tolerance_pct"] = g["item_key"].map(items["tolerance_pct"]).fillna(book.settings.tolerance_pct).astype(float).to_numpy()
    for c in ("beginning", "harvested", "bought", "sold", "losses", "farm_use", "accounted", "counted_ending",
              "difference", "expected_harvest"):
        out[c] = out[c].round(6) + 0.0
    tol = harvest_tolerance(book)
    neg = g["min_running"].to_numpy() < -EPS
    over = out["harvest_pct"] > 100 + tol
    ok = (out["difference"].abs() <= EPS) | (out["difference"].abs() <= out["tolerance_pct"] / 100 * out["accounted"].abs())
    out["status"] = np.select([neg, over, out["counted_ending"].isna(), ok],
                              ["NEGATIVE", "OVER EXPECTED", "NO COUNT", "PASS"], "INVESTIGATE")
    out["item_key"] = g["item_key"].to_numpy()
    out["min_running"] = g["min_running"].to_numpy()  # for the export's live status formula
    return out.sort_values(["crop", "season"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ findings

def field_findings(book: Book, fy: pd.DataFrame) -> pd.DataFrame:
    """HARVEST_OVER_EXPECTED and SEEDING_RATE at their Fields rows."""
    sheet, out = book.sheets["Fields"], []
    tol = harvest_tolerance(book)
    unit = book.settings.unit
    over = fy[fy["status"].eq("OVER EXPECTED").to_numpy()]
    if len(over):
        msgs = ("Field " + over["field"].astype(str) + " gave " + over["harvested"].map(lambda v: f"{v:,.0f}") +
                f" {unit} of " + over["crop"].astype(str) + " in " + over["season"].astype(str) + ", " +
                over["harvest_pct"].map(lambda v: f"{v:.1f}") + " % of what its " + over["acres"].map(lambda v: f"{v:g}") +
                " acres at the expected yield can grow (more than " + f"{100 + tol:g}" + " %). An inspector reads a harvest "
                "this far above the acres as possibly bought-in product: check the scale tickets, the field named "
                "on each harvest and the expected yield.")
        out.append(F.make("error", "HARVEST_OVER_EXPECTED", sheet, over["_row"].to_numpy(), "Expected yield",
                          book.letter("Fields", "Expected yield"), msgs))
    s = fy[fy["seed_expected"].notna().to_numpy() & (fy["seed_expected"] > EPS).to_numpy()]
    off = (100.0 * (s["seed_planted"] - s["seed_expected"]).abs() / s["seed_expected"]) > tol
    s = s[off.to_numpy()]
    if len(s):
        msgs = ("Field " + s["field"].astype(str) + " (" + s["season"].astype(str) + "): " +
                s["seed_planted"].map(lambda v: f"{v:,.0f}") + f" {unit} of seed recorded as planted, but its acres "
                "at the seeding rate need " + s["seed_expected"].map(lambda v: f"{v:,.0f}") + f" {unit} (more than "
                f"{tol:g} % apart). Check the FarmUse seed rows for this field, or the seeding rate.")
        out.append(F.make("warning", "SEEDING_RATE", sheet, s["_row"].to_numpy(), "Seeding rate",
                          book.letter("Fields", "Seeding rate"), msgs))
    return F.combine(out)


def _season_statuses(f: pd.DataFrame) -> dict:
    return {(fk, int(s)): st for fk, s, st in zip(f["field_key"], f["season"], f["status"], strict=True) if pd.notna(s)}


def _fields_sheet_findings(book: Book, f: pd.DataFrame) -> list:
    """A Fields row whose crop or seed is not an item, or whose units cannot be converted:
    its expected figures would be blank, so say so at the cell."""
    out, sheet = [], book.sheets["Fields"]
    listed = set(book.tables["Items"]["item_key"]) if len(book.tables["Items"]) else None
    for col, key in (("Crop", "crop_key"), ("Seed", "seed_key")):
        named = f[col.lower()].notna()
        unknown = named & ((f[key] < 0) | (~f[key].isin(listed) if listed is not None else False))
        if unknown.any():
            out.append(F.make("error", "UNKNOWN_ITEM", sheet, f.loc[unknown, "_row"].to_numpy(), col,
                              book.letter("Fields", col), "'" + f.loc[unknown, col.lower()].astype(str) +
                              "' is not on the Items sheet. Add it there (Kind Crop or Seed, with its Unit and Kg per "
                              "unit); until then this field has no expected harvest."))
    for col, item_col, rate in (("Yield unit", "crop_key", "expected_yield"), ("Seed unit", "seed_key", "seeding_rate")):
        items = f[item_col].where(f[item_col] > 0, f["crop_key"])
        factor = _to_report(book, f[snake_unit(col)], items)
        bad = factor.isna().to_numpy() & f[rate].notna().to_numpy() & (f[item_col] >= 0).to_numpy()
        if col == "Seed unit":
            bad &= f["seed_unit"].notna().to_numpy()
        if bad.any():
            out.append(F.make("error", "BAD_UNIT", sheet, f.loc[bad, "_row"].to_numpy(), col, book.letter("Fields", col),
                              "'" + f.loc[bad, snake_unit(col)].astype(str) + "' cannot be turned into weight for this "
                              "crop: use a unit of weight, or the item's own Unit with its Kg per unit on the Items "
                              "sheet. Until then this field's expected figures are blank."))
    return out


def snake_unit(col: str) -> str:
    return col.lower().replace(" ", "_")


def farm_input_findings(book: Book) -> pd.DataFrame:
    """UNKNOWN_FIELD, FIELD_NOT_ORGANIC and PROHIBITED_INPUT: rows that name fields; and
    Fields rows whose crop, seed or units massbal cannot use."""
    f = fields_table(book)
    known = set(f["field_key"])
    statuses = _season_statuses(f)
    out = _fields_sheet_findings(book, f)
    for table in ("Harvests", "FarmUse", "Applications"):
        t = book.tables[table]
        if not len(t):
            continue
        fk = field_keys(t["field"])
        bad = (fk != "") & ~pd.Series(fk).isin(known).to_numpy()
        if bad.any():
            out.append(F.make("error", "UNKNOWN_FIELD", book.sheets[table], t.loc[bad, "_row"].to_numpy(), "Field",
                              book.letter(table, "Field"),
                              "Field '" + t.loc[bad, "field"].astype(str) + "' is not on the Fields sheet. Add it there "
                              "(with its crop, season, acres and whether it is organic) or correct the name."
                              + (" Until then this harvest is not counted as organic." if table == "Harvests" else "")))
    h = book.tables["Harvests"]
    if len(h):
        st = harvest_field_status(book, f)
        on_sheet = (st["field_key"] != "") & st["field_key"].isin(known)
        no_season = on_sheet & st["status"].isna()
        if no_season.any():
            out.append(F.make("error", "UNKNOWN_FIELD", book.sheets["Harvests"], h.loc[no_season, "_row"].to_numpy(),
                              "Field", book.letter("Harvests", "Field"),
                              "Field '" + h.loc[no_season, "field"].astype(str) + "' has no row on the Fields sheet for " +
                              st.loc[no_season, "season"].astype(str) + ", so massbal cannot tell whether this harvest "
                              "is organic; it is counted as not organic until that season's Fields row is added."))
        said_yes = h["organic"].fillna(False).astype(bool) & h["organic"].notna()
        conv_field = on_sheet & st["status"].isin(("Transition", "No")) & said_yes
        if conv_field.any():
            out.append(F.make("warning", "FIELD_NOT_ORGANIC", book.sheets["Harvests"], h.loc[conv_field, "_row"].to_numpy(),
                              "Organic", book.letter("Harvests", "Organic"),
                              "This harvest says Organic = Yes, but field " + h.loc[conv_field, "field"].astype(str) +
                              " is " + st.loc[conv_field, "status"].str.lower() + " in " +
                              st.loc[conv_field, "season"].astype(str) + " on the Fields sheet, so it is counted as "
                              "not organic. Correct whichever is wrong."))
    a = book.tables["Applications"]
    if len(a):
        allowed = a["item_key"].map(book.items["allowed"]).astype(object)
        no = allowed.map(lambda v: isinstance(v, str) and v.strip().casefold() == "no").to_numpy(dtype=bool)
        fk = field_keys(a["field"])
        yr = a["date"].dt.year.to_numpy()
        organic = np.array([statuses.get((k, int(y))) == "Yes" or statuses.get((k, int(y) + 1)) == "Yes"
                            for k, y in zip(fk, yr, strict=True)], dtype=bool) if len(a) else np.zeros(0, bool)
        hit = no & organic
        if hit.any():
            x = a[hit]
            out.append(F.make("error", "PROHIBITED_INPUT", book.sheets["Applications"], x["_row"].to_numpy(), "Item",
                              book.letter("Applications", "Item"),
                              x["item"].astype(str) + " is not allowed on organic land (Allowed = No on the Items sheet), "
                              "but this row applies it to field " + x["field"].astype(str) + ", which is organic. Tell "
                              "your certifier: the field may have to go back to transition for 36 months."))
    return F.combine(out)
