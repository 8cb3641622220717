"""The livestock sheets of the inspector's copy (CONTRACT section 6): Herd, Feed and
Pasture as Reconcile computed them, each row a figure the inspector can recompute from
the Animals and FarmUse source rows the copy carries beside them."""
from __future__ import annotations

import pandas as pd

from massbal.inspector import sheets as X
from massbal.inspector.data import Meta
from massbal.layout.sheets import LIVESTOCK_LAYOUTS

GUIDE = {
    "Herd": "Head count of each herd: (J + L) - (K + M) against the count N, head-days, milk or eggs",
    "Feed": "Dry matter each herd needed, was fed and took from pasture; the shortfall no record explains",
    "Pasture": "Each ruminant herd's grazing season: days and dry matter intake from pasture (at least 30 %)",
}
SOURCE_TABLES = ("Herds", "Animals")  # shown whole, like Items: they are no ledger rows
_TITLES = {"Herd": "Herd balance: animals counted against the records",
           "Feed": "Feed balance: dry matter needed, fed and grazed",
           "Pasture": "Pasture: dry matter intake from pasture over each grazing season"}
# the Herd, Feed and Pasture sheets' kinds, as xlsx_report names them
_KINDS = {"date": "date", "integer": "int", "percent": "pct", "quantity": "number", "text": "text", "status": "text"}


def livestock_names(m: Meta, safe_sheet, taken: set) -> dict[str, str]:
    """Sheet names for the copy's livestock sheets (none when the book has no animals)."""
    if m.rec.herds is None:
        return {}
    return {k: safe_sheet(k, taken) for k in GUIDE}


def livestock_sheets(rep, m: Meta, names: dict[str, str]) -> None:
    unit = m.prep.unit
    frames = {"Herd": m.rec.herds, "Feed": m.rec.feed, "Pasture": m.rec.pasture}
    for key, name in names.items():
        layout = LIVESTOCK_LAYOUTS[key]
        s = rep.sheet(name, _TITLES[key], f"Head counts in animals, dry matter and output in {unit}. "
                                          "Recompute from the Animals, Herds and FarmUse source sheets.")
        f = pd.DataFrame({header: frames[key][col].to_numpy() for col, header, _, _ in layout})
        X.frame_table(s, name.replace(" ", ""), f, {header: _KINDS[kind] for _, header, kind, _ in layout})
