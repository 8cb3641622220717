"""The inspector's copy carries the Investigations sheet with the user's notes (CONTRACT
s.7): a variance arrives with its explanation, root cause and corrective action.

The candidates are those of the exported period (engine); the notes are read from the
Investigations table massbal wrote into the source workbook, matched by the sheet's
key (figure, item, owner, period, cell)."""
from __future__ import annotations

import logging

import pandas as pd

from massbal.layout.investigations import SHEET, investigations_sheet
from massbal.layout.notes import row_keys
from massbal.layout.sheets import INVESTIGATION_NOTES


def user_notes(source: str) -> pd.DataFrame | None:
    """The Investigations table of the workbook at `source` (None when it has none)."""
    try:
        import fastexcel
        reader = fastexcel.read_excel(source)
        if SHEET not in reader.table_names():
            return None
        # notes mix dates and text: fastexcel's "falling back to string" is no news to the user
        quiet = logging.getLogger("fastexcel")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            return reader.load_table(SHEET).to_pandas()
        finally:
            quiet.setLevel(level)
    except Exception:  # no file, another format, an unreadable table: no notes to carry
        return None


def export_frame(inv: pd.DataFrame, unit: str, source: str) -> pd.DataFrame:
    """The Investigations sheet's columns, with the notes typed in the source workbook."""
    spec = investigations_sheet(inv, unit)
    cols = [c.header for c in spec.columns if c.kind != "note"]
    frame = pd.DataFrame({h: spec.data[h] for h in cols})
    old = user_notes(source)
    notes = pd.DataFrame(index=frame.index, columns=list(INVESTIGATION_NOTES), dtype=object)
    if old is not None and len(old) and len(frame) and set(spec.keys) <= set(old.columns):
        old_keys = row_keys(spec, {h: old[h] for h in spec.keys})
        new_keys = row_keys(spec)
        for h in INVESTIGATION_NOTES:
            if h in old.columns:
                by_key = pd.Series(old[h].to_numpy(dtype=object), index=old_keys.to_numpy())
                by_key = by_key[~by_key.index.duplicated()]
                notes[h] = by_key.reindex(new_keys.to_numpy()).to_numpy()
    return pd.concat([frame.drop(columns=["Go to"]), notes], axis=1)
