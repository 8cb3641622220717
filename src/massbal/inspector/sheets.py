"""The sheets of the inspector's copy, one function each (export.py puts them together).

Balance, Supply by item, Supply and Yield carry live formulas (export_formulas) with the
engine's figures as cached values and a link from each figure to the rows behind it;
Ledger carries every movement the formulas need and each ingredient's share of it; the
Src sheets the user's rows as typed.
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from massbal.engine.parse import parse_date
from massbal.engine.rawbook import RawBook
from massbal.engine.schema import TABLES, header_key
from massbal.engine.trace.model import LotTrace
from massbal.layout.trace_tables import back_frame, forward_frame, question_lines, summary_pairs

from . import formulas as FX
from .data import Meta, blocks
from .verify import col_letter
from .xlsx_report import Col, Sheet

LEDGER_COLS = ["Date", "Kind", "Item", "Lot", "Owner", "Location", "Quantity", "Effect", "Batch", "Partner",
               "Certificate", "Organic", "Reference", "Source sheet", "Source row"]
SRC_FIRST_ROW = 5  # a Src sheet: title, subtitle, a gap, the header; its data start on row 5


def share_header(name: str) -> str:
    return f"Share {name}"


def locator(sheet: str, first: int, ncols: int):
    last = col_letter(ncols)

    def loc(lo, hi) -> str | None:
        if lo is None or (isinstance(lo, float) and np.isnan(lo)):
            return None
        return f"'{sheet}'!A{first + int(lo) + 1}:{last}{first + int(hi) + 1}"
    return loc


def _date_text(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"DATE({ts.year},{ts.month},{ts.day})"


# ------------------------------------------------------------------ Ledger and sources

def source_rows(raw: RawBook, m: Meta, tables: list[str]) -> dict[str, pd.Series]:
    """Per source table: worksheet row -> position among the rows the copy shows."""
    led = m.data.ledger
    by_sheet = {}
    for t in tables:
        rt = raw.get(t)
        if t in ("Items", "Settings", "Herds", "Animals"):  # not movements: every row
            rows = np.asarray(rt.rows)
        else:
            want = set(led.loc[led["sheet"] == m.prep.book.sheets.get(t, rt.sheet), "row"].astype(int))
            rows = np.asarray([r for r in rt.rows if int(r) in want])
        by_sheet[t] = pd.Series(np.arange(len(rows)), index=rows.astype(int))
    return by_sheet


def source_sheet(s: Sheet, raw: RawBook, table: str, pos: pd.Series | None) -> None:
    rt = raw.get(table)
    if pos is None:
        return
    keep = np.isin(np.asarray(rt.rows, dtype=int), pos.index.to_numpy())
    data = rt.data[keep]
    headers, seen = [], set()
    for h, letter in zip(rt.headers, rt.columns, strict=True):
        h = str(h).strip() or f"Column {letter}"
        if h.casefold() in seen or h.casefold() == "row":
            h = f"{h} ({letter})"
        seen.add(h.casefold())
        headers.append(h)
    cols = [Col("Row", list(np.asarray(rt.rows)[keep]), "int", 7)]
    dates = _date_columns(table, rt.headers)
    for j, h in enumerate(headers):
        if j in dates:   # shown as dates, never as day numbers; text that is no date stays as typed
            vals = data[j]
            if raw.date1904:
                parsed = parse_date(vals, True).values
                vals = vals.where(parsed.isna() | vals.map(lambda v: isinstance(v, str)), parsed.astype(object))
            # a column of dates stays a column (bulk.classify converts it whole)
            cols.append(Col(h, vals if vals.dtype.kind == "M" else list(vals), "date", 11))
        else:
            # pyarrow text stays a column (bulk.py factorizes it); anything else as typed, value by value
            col = data[j]
            cols.append(Col(h, col if isinstance(col.dtype, pd.StringDtype) else list(col), "text", 14))
    s.table("Src" + re.sub(r"\W", "", table), cols, int(keep.sum()))


def _date_columns(table: str, headers) -> set[int]:
    """Positions of the headers that name a date column of the input table (schema)."""
    spec = TABLES.get(table)
    if spec is None:
        return set()
    keys = {header_key(c.name) for c in spec.columns if c.kind == "date"}
    return {j for j, h in enumerate(headers) if header_key(h) in keys}


def ledger_sheet(s: Sheet, m: Meta, src_names: dict[str, str], src_pos: dict[str, pd.Series]) -> int:
    led = m.data.ledger
    book = m.prep.book
    farm = m.rec.crop is not None
    effect = FX.ledger_effect(farm)   # the same formula on every row: made once
    table_of = {v: k for k, v in book.sheets.items()}
    org = led["organic"].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                             else ("Yes" if v else "No"))
    cols = [Col("Date", led["date"], "date", 11), Col("Kind", led["kind"], "text", 12),
            Col("Item", led["item"], "text", 18), Col("Lot", led["lot"], "text", 10),
            Col("Owner", led["owner"], "text", 10), Col("Location", led["location"], "text", 11),
            Col("Quantity", led["qty"], "number", 12),
            Col("Effect", led["effect"], "number", 12, formula=lambda i: effect),
            Col("Batch", led["batch"], "text", 9), Col("Partner", led["partner"], "text", 14),
            Col("Certificate", led["certificate"], "text", 12), Col("Organic", org, "text", 8),
            Col("Reference", led["reference"], "text", 11), Col("Source sheet", led["sheet"], "text", 12)]
    sheets, rows = led["sheet"].to_numpy(), led["row"].to_numpy()
    # worksheet row -> position, as plain dicts: a pandas lookup per Ledger row was seconds
    pos_of = {t: dict(zip(p.index.tolist(), p.tolist(), strict=True)) for t, p in src_pos.items() if p is not None}

    def src_link(i: int) -> str | None:
        t = table_of.get(sheets[i], sheets[i])
        pos = pos_of.get(t)
        at = pos.get(int(rows[i])) if pos is not None and t in src_names else None
        if at is None:
            return None
        return f"'{src_names[t]}'!A{SRC_FIRST_ROW + int(at)}"
    cols.append(Col("Source row", led["row"], "int", 9, link=src_link))
    # what the formulas' criteria match on (export_formulas.crit): names as text, never numbers
    for name in ("Item", "Owner", "Batch", "Certificate"):
        cols.append(Col(FX.key_header(name), FX.key_values(led[name.lower()]), "text", 8))
    for k, name in m.data.ingredients.items():
        cols.append(Col(share_header(name), m.data.shares[k], "share", 11))
    _, first = s.table(FX.L, cols, len(led))
    return first


# ------------------------------------------------------------------ the figures

def _targets(frame: pd.DataFrame) -> pd.DataFrame:
    t = frame[["item_key", "owner_key", "start", "end"]].copy()
    t["tid"] = np.arange(len(t))
    return t


def _links_for(m: Meta, targets: pd.DataFrame, loc, kinds_by_col: dict[str, tuple | None]) -> dict:
    """Column -> row index -> location of its ledger rows."""
    out = {}
    for col, kinds in kinds_by_col.items():
        b = blocks(m.data.ledger, targets, kinds)
        out[col] = {int(t): loc(lo, hi) for t, lo, hi in   # one per balance row
                    zip(b.index.tolist(), b["min"].tolist(), b["max"].tolist(), strict=True)}
    return out


def balance_sheet(s: Sheet, m: Meta, loc) -> None:
    b = m.data.balances.reset_index(drop=True)
    t = "Balance"
    farm = m.rec.crop is not None
    tg = _targets(b)
    anchor_t = tg.assign(start=b["anchor"], end=b["anchor"])
    end_t = tg.assign(start=b["end"], end=b["end"])
    links = _links_for(m, tg, loc, {"Received": ("receipt",), "Produced": ("produced",), "Used": ("used",),
                                    "Shipped": ("shipped",), "Losses": ("loss",), "Expected ending": None,
                                    **({"Harvested": ("harvested",), "Farm use": ("farm use",),
                                        "Applied": ("applied",)} if farm else {})})
    links["Counted ending"] = {int(k): loc(r["min"], r["max"]) for k, r in
                               blocks(m.data.ledger, end_t, ("count",)).iterrows()}
    opening = {int(k): loc(r["min"], r["max"]) for k, r in
               blocks(m.data.ledger, anchor_t.dropna(subset=["start"]), ("count",)).iterrows()}
    links["Beginning"] = {i: opening.get(i) or links["Expected ending"].get(i) for i in range(len(b))}
    links["Variance"] = links["Expected ending"]
    forms = [FX.balance(t, it, ow, farm) for it, ow in zip(b["item"], b["owner"], strict=True)]

    def col(h, v, kind="number", width=12):
        lk = links.get(h)
        return Col(h, v, kind, width, formula=(lambda i, h=h: forms[i][h]) if h in forms[0] else None,
                   link=(lambda i, lk=lk: lk.get(i)) if lk else None) if len(b) else Col(h, v, kind, width)
    cols = [Col("Item", b["item"], "text", 18), Col("Owner", b["owner"], "text", 10),
            Col("Start", b["start"], "date", 11), Col("End", b["end"], "date", 11),
            Col("Opening count date", b["anchor"], "date", 12),
            col("Beginning", b["beginning"]), col("Received", b["received"]),
            *([col("Harvested", b["harvested"])] if farm else []), col("Produced", b["produced"]),
            col("Used", b["used"]), *([col("Farm use", b["farm_use"]), col("Applied", b["applied"])] if farm else []),
            col("Shipped", b["shipped"]), col("Losses", b["losses"]),
            col("Expected ending", b["expected_ending"]), col("Counted ending", b["counted_ending"]),
            col("Variance", b["variance"]), col("Variance %", b["variance_pct"], "pct", 10),
            Col("Tolerance %", b["tolerance_pct"], "pct", 10),
            Col("Lowest book balance", b["min_running"], "number", 12),
            col("Status", b["status"], "status", 12)]
    if "count_due" in b.columns:  # CONTRACT section 6: a farm counts once a season
        cols[-1] = replace(cols[-1], quiet=~b["count_due"].to_numpy(dtype=bool))
    s.table(t, cols, len(b))


def detail_sheet(s: Sheet, m: Meta, loc) -> int:
    d = m.data.detail.reset_index(drop=True)
    t = "SupplyByItem"
    tg = _targets(d)
    links = _links_for(m, tg, loc, {"Received": ("receipt",), "Produced": ("produced",), "Used": ("used",),
                                    "Shipped": ("shipped",), "Losses": ("loss",), "Book at end": None})
    links["Opening"] = links["Book at end"]
    links["Counted at end"] = {int(k): loc(r["min"], r["max"]) for k, r in
                               blocks(m.data.ledger, tg.assign(start=d["end"]), ("count",)).iterrows()}
    farm = m.rec.crop is not None
    forms = [FX.supply_detail(t, share_header(m.data.ingredients[k]), farm) for k in d["ingredient_key"]]

    def col(h, v):
        lk = links.get(h)
        return Col(h, v, "number", 12, formula=lambda i, h=h: forms[i][h],
                   link=(lambda i, lk=lk: lk.get(i)) if lk else None)
    cols = [Col("Ingredient", d["ingredient"], "text", 16), Col("Item", d["item"], "text", 18),
            Col("Owner", d["owner"], "text", 10), Col("Start", d["start"], "date", 11),
            Col("End", d["end"], "date", 11), Col("Opening count date", d["anchor"], "date", 12),
            Col(FX.key_header("Ingredient"), FX.key_values(d["ingredient"]), "text", 8),
            Col(FX.key_header("Owner"), FX.key_values(d["owner"]), "text", 8)]
    if len(d):
        cols += [col("Opening", d["beginning"]), col("Received", d["sum_receipt"]),
                 col("Produced", d["sum_produced"]), col("Used", d["sum_used"]), col("Shipped", d["sum_shipped"]),
                 col("Losses", d["sum_loss"]),
                 *([col("Harvested", d["sum_harvested"]), col("Farm use", d["sum_farm use"] + d["sum_applied"])]
                   if farm else []), col("Book at end", d["book_end"]),
                 col("Counted at end", d["counted_end"]), col("Opening held", d["held_open"]),
                 col("On hand", d["on_hand"]), col("Short", d["short"])]
    else:
        cols += [Col(h, [], "number") for h in ("Opening", "Received", "Produced", "Used", "Shipped", "Losses",
                                                 "Book at end", "Counted at end", "Opening held", "On hand", "Short")]
    _, first = s.table(t, cols, len(d))
    return first


def supply_sheet(s: Sheet, m: Meta, det_sheet: str, det_first: int) -> None:
    sp = m.data.supply.reset_index(drop=True)
    d = m.data.detail.reset_index(drop=True)
    t = "Supply"
    # the detail rows of each supply row are contiguous (sorted by ingredient, owner, period)
    d = d.assign(pos=np.arange(len(d)))
    rng = d.groupby(["ingredient_key", "owner_key", "start", "end"])["pos"].agg(["min", "max"])
    sums = d.groupby(["ingredient_key", "owner_key", "start", "end"])["short"].sum() if len(d) else pd.Series(dtype=float)
    short = [float(sums.get((a, b, pd.Timestamp(c), pd.Timestamp(e)), 0.0)) for a, b, c, e in
             zip(sp["ingredient_key"], sp["owner_key"], sp["start"], sp["end"], strict=True)]
    # each row's link made once (every linked column asks it; a row Series and an index
    # look-up per cell were seconds)
    spans = dict(zip(rng.index.tolist(), zip(rng["min"].tolist(), rng["max"].tolist(), strict=True), strict=True))
    links = []
    for a, b, c, e in zip(sp["ingredient_key"], sp["owner_key"], sp["start"], sp["end"], strict=True):
        span = spans.get((a, b, pd.Timestamp(c), pd.Timestamp(e)))
        links.append(None if span is None else
                     f"'{det_sheet}'!A{det_first + span[0] + 1}:{col_letter(17)}{det_first + span[1] + 1}")

    def link(i: int) -> str | None:
        return links[i]
    farm = m.rec.crop is not None
    forms = [FX.supply(t, "SupplyByItem", "Yield", ing, ow, share_header(ing), farm)
             for ing, ow in zip(sp["ingredient"], sp["owner"], strict=True)]

    def col(h, v, kind="number", linked=True):
        return Col(h, v, kind, 13, formula=lambda i, h=h: forms[i][h], link=link if linked else None)
    cols = [Col("Ingredient", sp["ingredient"], "text", 18), Col("Owner", sp["owner"], "text", 10),
            Col("Start", sp["start"], "date", 11), Col("End", sp["end"], "date", 11)]
    if len(sp):
        cols += [col("Available", sp["available"]), col("Shipped equivalent", sp["shipped_equivalent"]),
                 col("Losses equivalent", sp["losses_equivalent"]),
                 *([col("Farm use equivalent", sp["farm_use_equivalent"])] if farm else []),
                 col("On hand equivalent", sp["on_hand_equivalent"]),
                 col("Unaccounted", sp["unaccounted"]), Col("Tolerance %", sp["tolerance_pct"], "pct", 10),
                 col("Book short", short), col("Status", sp["status"], "status", linked=False)]
    else:
        cols += [Col(h, [], "number") for h in ("Available", "Shipped equivalent", "Losses equivalent",
                                                 "On hand equivalent", "Unaccounted", "Tolerance %", "Book short",
                                                 "Status")]
    s.table(t, cols, len(sp))


def yield_sheet(s: Sheet, m: Meta) -> None:
    y = m.data.yields.reset_index(drop=True)
    t = "Yield"
    forms = [FX.yield_row(t, b) for b in y["batch"]] if len(y) else []

    def col(h, v, kind="number"):
        return Col(h, v, kind, 12, formula=(lambda i, h=h: forms[i][h]) if forms else None)
    cols = [Col("Batch", y.get("batch", []), "text", 10), Col("Product", y.get("product", []), "text", 18),
            Col("Date", y.get("date", []), "date", 11), Col("Owner", y.get("owner", []), "text", 10),
            col("Input", y.get("input", [])), col("Output", y.get("output", [])),
            col("Process loss", y.get("process_loss", [])), col("Documented loss", y.get("documented_loss", [])),
            col("Undocumented loss", y.get("undocumented_loss", [])), col("Yield %", y.get("yield_pct", []), "pct")]
    for k, name in m.data.ingredients.items():
        cols.append(Col(share_header(name), y[f"share:{k}"] if f"share:{k}" in y else [], "share", 11))
    s.table(t, cols, len(y))


def exceptions_sheet(s: Sheet, m: Meta, raw: RawBook, src_names, src_pos) -> None:
    f = m.rec.findings.reset_index(drop=True)
    table_of = {v: k for k, v in m.prep.book.sheets.items()}
    # the columns read once, not a row Series per finding (iloc per row: seconds at 100k findings)
    f_sheets, f_rows = f["sheet"].to_numpy(dtype=object), f["row"].to_numpy(dtype=object)
    # worksheet row -> position as plain dicts (as the Ledger's links): an index lookup per finding was slow
    pos_of = {t: dict(zip(p.index.tolist(), p.tolist(), strict=True)) for t, p in src_pos.items() if p is not None}

    def link(i: int) -> str | None:
        row = f_rows[i]
        t = table_of.get(f_sheets[i])
        if t not in src_names or pd.isna(row):
            return None
        at = pos_of.get(t, {}).get(int(row))
        if at is None:
            return None
        return f"'{src_names[t]}'!A{SRC_FIRST_ROW + int(at)}"
    cols = [Col("Severity", f["severity"], "status", 9), Col("Code", f["code"], "text", 20),
            Col("Sheet", f["sheet"], "text", 12), Col("Row", f["row"].astype(object), "int", 7, link=link),
            Col("Column", f["column"], "text", 12), Col("Cell", f["cell"], "text", 7),
            Col("Message", f["message"], "wrap", 90)]
    s.table("Exceptions", cols, len(f))


def certificates_sheet(s: Sheet, m: Meta) -> None:
    c = m.prep.book.tables["Certificates"].reset_index(drop=True)
    start, end = _date_text(m.rec.periods[0][0]), _date_text(m.rec.periods[-1][1])
    forms = [FX.certificate_row("Certificates", str(x), start, end) for x in c["certificate"]]
    led = m.data.ledger
    rec = led[(led["kind"] == "receipt") & (led["date"] >= pd.Timestamp(m.rec.periods[0][0])) &
              (led["date"] <= pd.Timestamp(m.rec.periods[-1][1]))]
    by = rec.groupby(rec["certificate"].astype(str).str.casefold())["qty"].agg(["size", "sum"])
    key = c["certificate"].astype(str).str.casefold()
    end_ts = pd.Timestamp(m.rec.periods[-1][1])
    valid = ((c["valid_from"].isna() | (c["valid_from"] <= end_ts)) & (c["valid_to"] >= end_ts)).map(
        {True: "Yes", False: "No"})

    def col(h, v, kind):
        return Col(h, v, kind, 12, formula=(lambda i, h=h: forms[i][h]) if forms else None)
    cols = [Col("Supplier", c["supplier"], "text", 18), Col("Certificate", c["certificate"], "text", 14),
            Col("Certifier", c["certifier"], "text", 10), Col("Items covered", c["items_covered"], "text", 20),
            Col("Valid from", c["valid_from"], "date", 11), Col("Valid to", c["valid_to"], "date", 11),
            col("Valid at period end", valid, "text"),
            col("Receipts in period", key.map(by["size"]).fillna(0), "int"),
            col("Quantity received in period", key.map(by["sum"]).fillna(0.0), "number"),
            Col("Row", c["_row"], "int", 7)]
    s.table("Certificates", cols, len(c))


def trace_sheet(s: Sheet, t: LotTrace, n: int) -> None:
    s.pairs(summary_pairs(t), value_col=2)
    s.row += 1
    # the questions first: a few lines of text, before the long tables
    s.lines("Open questions: links that could not be followed", question_lines(t.open_questions))
    frame_table(s, f"Back{n}", back_frame(t), _KINDS, caption="Back: where the lot came from", repeat=False)
    frame_table(s, f"Forward{n}", forward_frame(t.forward), _KINDS, caption="Forward: where the lot went",
                 repeat=False)


_KINDS = {"Date": "date", "Quantity": "number", "Row quantity": "number", "% of row": "pct", "% of lot": "pct",
          "Counted": "number", "Counted on": "date", "Row": "int", "Depth": "int"}


def frame_table(s: Sheet, name: str, f: pd.DataFrame, kinds: dict, caption=None, repeat=True) -> None:
    cols = []
    for h in f.columns:
        kind = kinds.get(h, "number" if h.endswith("equivalent") else "text")
        width = 11 if kind in ("date", "number", "pct", "int") else 14
        if kind.startswith("wrap"):
            kind, width = "wrap", float(kind[4:] or 60)
        cols.append(Col(h, f[h].astype(object).where(f[h].notna(), None), kind, width))
    s.table(name, cols, len(f), caption=caption, repeat=repeat)
