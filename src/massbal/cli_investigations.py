"""`massbal reconcile` in the terminal: the likeliest cause beside each flagged figure
(CONTRACT section 7). Kept apart from the summary tables so either can change alone."""
from __future__ import annotations

import pandas as pd
from rich.markup import escape
from rich.table import Table


def top_candidates(inv: pd.DataFrame) -> pd.DataFrame:
    """The first row of each flagged figure (its best candidate, or the row saying none)."""
    if inv is None or inv.empty:
        return inv if inv is not None else pd.DataFrame()
    return inv.drop_duplicates(["figure", "item", "owner", "start"], keep="first")


def investigations_table(inv: pd.DataFrame, unit: str) -> Table | None:
    top = top_candidates(inv)
    if top is None or top.empty:
        return None
    t = Table(title=f"Flagged figures: the likeliest cause ({len(top)}; all candidates on the Investigations "
              "sheet)", title_justify="left")
    for c in ("Figure", "Item", "Period", f"Variance ({unit})", "Likeliest cause"):
        t.add_column(c, overflow="fold", justify="right" if c.startswith("Variance") else "left")
    for r in top.itertuples(index=False):
        var = "" if r.variance is None or r.variance != r.variance else f"{r.variance:,.2f}"
        # names and sentences are the user's text: shown as typed, never read as markup
        t.add_row(r.figure, escape(str(r.item) + (f" ({r.owner})" if isinstance(r.owner, str) and r.owner else "")),
                  f"{pd.Timestamp(r.start):%Y-%m-%d}..{pd.Timestamp(r.end):%Y-%m-%d}", var, escape(str(r.explanation)))
    return t
