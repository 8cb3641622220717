"""The command line's livestock tables (CONTRACT section 6): herd counts, feed, pasture."""
from __future__ import annotations

from rich.table import Table

STATUS_STYLE = {"PASS": "green", "INVESTIGATE": "yellow", "NO COUNT": "yellow", "NEGATIVE": "bold red",
                "SHORT": "bold red", "BELOW 30%": "bold red", "SHORT SEASON": "bold red", "NO DEMAND": "yellow",
                "DM % MISSING": "yellow", "IN SEASON": "yellow"}


def _status(s: str) -> str:
    return f"[{STATUS_STYLE.get(s, '')}]{s}[/]"


def _n(v, fmt: str = ",.0f") -> str:
    return "" if v is None or v != v else format(v, fmt)


def show_livestock(rec, out) -> None:
    """Print the Herd, Feed and Pasture rows of a farm with animals; nothing for anyone else."""
    if getattr(rec, "herds", None) is None:
        return
    unit = rec.unit
    t = Table(title="Herds (head)", title_justify="left")
    for c in ("Herd", "Period", "Begin", "In", "Out", "Died", "Expected", "Counted", "Head-days", "Status"):
        t.add_column(c, justify="left" if c in ("Herd", "Period", "Status") else "right")
    for r in rec.herds.itertuples(index=False):
        t.add_row(str(r.herd), f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}", _n(r.beginning),
                  _n(r.born + r.bought + r.moved_in), _n(r.sold + r.slaughtered + r.culled + r.moved_out),
                  _n(r.died), _n(r.expected_ending), _n(r.counted_ending), _n(r.head_days), _status(r.status))
    out.print(t)
    f = Table(title=f"Feed ({unit} of dry matter)", title_justify="left")
    for c in ("Herd", "Period", "Demand", "Fed", "Pasture", "Short %", "Status"):
        f.add_column(c, justify="left" if c in ("Herd", "Period", "Status") else "right")
    for r in rec.feed.itertuples(index=False):
        f.add_row(str(r.herd), f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}", _n(r.demand_dm), _n(r.fed_dm),
                  _n(r.pasture_dm), _n(r.shortfall_pct, "+.1f"), _status(r.status))
    out.print(f)
    p = Table(title="Pasture (each grazing season)", title_justify="left")
    for c in ("Herd", "Season", "Days", "DMI from pasture %", "Status"):
        p.add_column(c, justify="left" if c in ("Herd", "Season", "Status") else "right")
    for r in rec.pasture.itertuples(index=False):
        p.add_row(str(r.herd), f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}", str(r.days), _n(r.dmi_pct, ".2f"),
                  _status(r.status))
    out.print(p)
