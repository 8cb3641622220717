"""`massbal reconcile` in the terminal: the likeliest cause under each flagged figure
(CONTRACT section 7). Kept apart from the summary tables so either can change alone."""
from __future__ import annotations

import pandas as pd
from rich.table import Table
from rich.text import Text

from massbal.engine.verdict import period_label


def top_candidates(inv: pd.DataFrame | None) -> pd.DataFrame:
    """The first row of each flagged figure (its best candidate, or the row saying none)."""
    if inv is None or inv.empty:
        return pd.DataFrame()
    return inv.drop_duplicates(["figure", "item", "owner", "start"], keep="first")


def likeliest_causes(inv: pd.DataFrame | None, unit: str) -> list:
    """Renderables: a heading, then per flagged figure its name and period on one line and
    the likeliest cause as a sentence wrapped under it (readable at 80 columns, where a
    table column of sentences is not)."""
    top = top_candidates(inv)
    if top.empty:
        return []
    out: list = [Text(f"\nLikeliest causes ({len(top)} flagged figures; every candidate is on the "
                      "Investigations sheet)", style="bold")]
    for r in top.itertuples(index=False):
        owner = f" ({r.owner})" if isinstance(r.owner, str) and r.owner else ""
        var = "" if r.variance is None or r.variance != r.variance else f", {r.variance:+,.2f} {unit}"
        head = Text("  ")
        head.append(f"{r.item}{owner}", style="bold")  # Text is never read as markup
        head.append(f"  {period_label(r.start, r.end)}  {str(r.figure).lower()}{var}", style="dim")
        out.append(head)
        grid = Table.grid(padding=0, pad_edge=False)
        grid.add_column(width=4, no_wrap=True)
        grid.add_column(overflow="fold", ratio=1)
        grid.add_row("", Text(str(r.explanation)))
        out.append(grid)
    return out
