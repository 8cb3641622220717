"""`massbal reconcile` in the terminal, a farm's part (CONTRACT section 6): the crop, herd,
feed and pasture rows that need attention (every row with --all), in the same short
tables as the balances. A handler's book has none of these frames and prints nothing."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from massbal.engine.verdict import period_label

OK = ("PASS",)


def farm_tables(rec, width: int, everything: bool, table, num, status) -> list[Table]:
    """table(title), num(value, places) and status(text) are the summary's own helpers."""
    out = []
    for frame, title, columns in (
        (getattr(rec, "crop", None), f"Crop ({rec.unit}; organic crop only)",
         [("Crop", "crop", None), ("Accounted", "accounted", 0), ("Counted", "counted_ending", 0),
          ("Harvest %", "harvest_pct", 1)]),
        (getattr(rec, "herds", None), "Herds (head)",
         [("Herd", "herd", None), ("Expected", "expected_ending", 0), ("Counted", "counted_ending", 0),
          ("Head-days", "head_days", 0)]),
        (getattr(rec, "feed", None), f"Feed ({rec.unit} of dry matter)",
         [("Herd", "herd", None), ("Demand", "demand_dm", 0), ("Fed", "fed_dm", 0), ("Short %", "shortfall_pct", 1)]),
        (getattr(rec, "pasture", None), "Pasture (grazing season)",
         [("Herd", "herd", None), ("Days", "days", 0), ("DMI from pasture %", "dmi_pct", 1)]),
    ):
        if frame is None or not len(frame):
            continue
        rows = frame if everything else frame[~frame["status"].isin(OK)]
        if not len(rows):
            continue
        t = table(title)
        for head, _, places in columns:
            if places is None:
                t.add_column(head, overflow="fold", ratio=1, min_width=8)
            else:
                t.add_column(head, justify="right", no_wrap=True)
        # a crop's season is its harvest year; a pasture row is one grazing season
        t.add_column("Season" if "season" in rows.columns or "dmi_pct" in rows.columns else "Period", no_wrap=True)
        t.add_column("Status", no_wrap=True)
        for r in rows.to_dict("records"):
            cells = [Text(str(r[c])) if places is None else num(r[c], places) for _, c, places in columns]
            when = str(r["season"]) if "start" not in r else period_label(r["start"], r["end"])
            t.add_row(*cells, when, status(str(r["status"])))
        out.append(t)
    return out


def print_farm(console: Console, rec, everything: bool, table, num, status) -> None:
    for t in farm_tables(rec, console.width, everything, table, num, status):
        console.print(t)



