"""A farm's sheets in the inspector's copy (CONTRACT section 6): Crop and Harvest.

The figures the engine sums from the ledger (A to F, G, harvested, seed) are carried as
values; every figure derived from them (accounted, difference, expected harvest, harvest
%, harvested per acre, status) is a live formula over its own row, so an inspector who
changes an acreage or an expected yield sees the plausibility check move. The fields'
expected yields and where each comes from are listed on the cover.
"""
from __future__ import annotations

import pandas as pd

from massbal.inspector.data import Meta
from massbal.inspector.formulas import EPS

from .xlsx_report import Col, Sheet, this_row


def is_farm(m: Meta) -> bool:
    return m.rec.crop is not None


def _formulas(t: str, f: dict[str, str]) -> dict[str, str]:
    return {k: "=" + v for k, v in f.items()}


def crop_sheet(s: Sheet, m: Meta) -> None:
    c = m.rec.crop.reset_index(drop=True)
    t = "Crop"
    r = lambda col: this_row(t, col)  # noqa: E731
    ht = m.prep.book.settings.harvest_tolerance_pct
    f = _formulas(t, {
        "Accounted": (f'{r("Beginning (A)")}+{r("Harvested (B)")}+{r("Bought (C)")}-{r("Sold (D)")}'
                      f'-{r("Losses (E)")}-{r("Farm use (F)")}'),
        "Difference": f'IF({r("Counted ending (G)")}="","",{r("Counted ending (G)")}-{r("Accounted")})',
        "Harvest %": (f'IF({r("Expected harvest")}>{EPS},ROUND(100*{r("Harvested (B)")}/{r("Expected harvest")},2),"")'),
        "Status": (f'IF({r("Lowest book balance")}<-{EPS},"NEGATIVE",'
                   f'IF(AND({r("Harvest %")}<>"",N({r("Harvest %")})>100+{r("Harvest tolerance %")}),"OVER EXPECTED",'
                   f'IF({r("Counted ending (G)")}="","NO COUNT",'
                   f'IF(OR(ABS({r("Difference")})<={EPS},ABS({r("Difference")})<={r("Tolerance %")}/100*ABS({r("Accounted")})),'
                   f'"PASS","INVESTIGATE"))))'),
    })

    def col(h, v, kind="number", width=13):
        return Col(h, v, kind, width, formula=(lambda i, h=h: f[h]) if h in f and len(c) else None)
    cols = [Col("Crop", c["crop"], "text", 14), Col("Season", c["season"], "int", 8),
            Col("Start", c["start"], "date", 11), Col("End", c["end"], "date", 11),
            col("Beginning (A)", c["beginning"]), col("Harvested (B)", c["harvested"]), col("Bought (C)", c["bought"]),
            col("Sold (D)", c["sold"]), col("Losses (E)", c["losses"]), col("Farm use (F)", c["farm_use"]),
            col("Accounted", c["accounted"]), col("Counted ending (G)", c["counted_ending"]),
            col("Difference", c["difference"]), col("Acres", c["acres"]), col("Expected harvest", c["expected_harvest"]),
            col("Harvest %", c["harvest_pct"], "pct", 10), Col("Tolerance %", c["tolerance_pct"], "pct", 10),
            Col("Harvest tolerance %", [ht] * len(c), "pct", 10),
            Col("Lowest book balance", c["min_running"] if "min_running" in c else [None] * len(c), "number", 12),
            col("Status", c["status"], "text", 14)]
    s.table(t, cols, len(c))


def harvest_sheet(s: Sheet, m: Meta) -> None:
    d = m.rec.fields.reset_index(drop=True)
    t = "Harvest"
    unit = m.prep.unit
    per = f"{unit} per yield unit"
    r = lambda col: this_row(t, col)  # noqa: E731
    ht = m.prep.book.settings.harvest_tolerance_pct
    f = _formulas(t, {
        "Expected harvest": f'{r("Acres")}*{r("Expected yield")}*{r(per)}',
        "Harvest %": f'IF({r("Expected harvest")}>{EPS},ROUND(100*{r("Harvested")}/{r("Expected harvest")},2),"")',
        "Harvested per acre": (f'IF(AND({r("Acres")}>0,{r(per)}>0),ROUND({r("Harvested")}/{r(per)}/{r("Acres")},2),"")'),
        "Status": (f'IF({r("Harvested")}<={EPS},"NO HARVEST",IF({r("Harvest %")}="","NO EXPECTED",'
                   f'IF({r("Harvest %")}>100+{r("Harvest tolerance %")},"OVER EXPECTED",'
                   f'IF({r("Harvest %")}<100-2*{r("Harvest tolerance %")},"UNDER EXPECTED","PASS"))))'),
    })

    def col(h, v, kind="number", width=12):
        return Col(h, v, kind, width, formula=(lambda i, h=h: f[h]) if h in f and len(d) else None)
    cols = [Col("Field", d["field"], "text", 10), Col("Crop", d["crop"], "text", 12), Col("Season", d["season"], "int", 8),
            Col("Organic", d["organic"], "text", 10), col("Acres", d["acres"], width=8),
            col("Expected yield", d["expected_yield"], width=10), Col("Yield unit", d["yield_unit"], "text", 8),
            Col(per, d["yield_factor"], "share", 12),
            col("Expected harvest", d["expected_harvest"]), col("Harvested", d["harvested"]),
            col("Harvest %", d["harvest_pct"], "pct", 10), col("Harvested per acre", d["harvested_per_acre"], width=10),
            Col("Seed", d["seed"], "text", 12), col("Seed planted", d["seed_planted"]),
            col("Seed expected", d["seed_expected"]), Col("Harvest tolerance %", [ht] * len(d), "pct", 10),
            col("Status", d["status"], "text", 15)]
    s.table(t, cols, len(d))


def cover_yields(s: Sheet, m: Meta) -> None:
    """The fields' expected yields and their sources (an inspector's first question about them)."""
    d = m.rec.fields
    src = d["yield_source"].astype(object).where(d["yield_source"].notna(), "(not given: add it on the Fields sheet)")
    cols = [Col("Field", d["field"].tolist(), "text", 22), Col("Crop", d["crop"].tolist(), "text", 18),
            Col("Season", d["season"].tolist(), "int", 8),
            Col("Expected yield", pd.Series(d["expected_yield"]).tolist(), "number", 12),
            Col("Yield unit", d["yield_unit"].tolist(), "text", 8), Col("Yield source", src.tolist(), "text", 40)]
    s.table("ExpectedYields", cols, len(d), caption="Expected yields of the fields, and their source", repeat=False)
