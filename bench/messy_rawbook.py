"""Make a RawBook messier, for old/new engine comparisons on the large-table code paths.

    python bench/messy_rawbook.py IN.pkl OUT.pkl [share] [textonly]

In a share of the text cells of every table (default 2 %), a seeded random choice of:
stray spaces, a second spelling (upper case, non-breaking space, tab, doubled space), an
Excel error value, a whitespace-only cell, a number where text belongs, or an empty cell.
Quantities get some text numbers ('1,234.5'), and a few dates become text. With
`textonly`, text columns stay all text (no numbers, no empty cells): the readers' usual
output, which takes the engine's whole-column text path.
"""
from __future__ import annotations

import pickle
import sys
from dataclasses import replace

import numpy as np
import pandas as pd


def _messy_text(col: pd.Series, rng: np.random.Generator, share: float, textonly: bool) -> pd.Series:
    out = col.astype(object).to_numpy(copy=True)
    hit = np.flatnonzero(rng.random(len(out)) < share)
    how = rng.integers(0, 7 if textonly else 9, len(hit))
    for i, h in zip(hit, how, strict=True):
        v = out[i]
        s = v if isinstance(v, str) else ""
        out[i] = [f" {s} ", s.upper(), s.replace(" ", "\u00a0"), s + "\t", s.replace(" ", "  "),
                  "#N/A", "   ", 1001.0, None][h]
    return pd.Series(out, index=col.index, dtype=object)


def main() -> None:
    src, dst = sys.argv[1:3]
    share = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
    textonly = len(sys.argv) > 4 and sys.argv[4] == "textonly"
    rng = np.random.default_rng(20251123)
    with open(src, "rb") as fh:
        raw = pickle.load(fh)
    tables = {}
    for name, t in raw.tables.items():
        data = t.data.copy()
        for j, h in enumerate(t.headers):
            col = data[j]
            if h in ("Quantity", "Kg per unit", "Tolerance %"):
                vals = col.astype(object).to_numpy(copy=True)
                hit = np.flatnonzero(rng.random(len(vals)) < share / 4)
                vals[hit] = [f"{v:,.1f}" if isinstance(v, float) and v == v else "12,5" for v in vals[hit]]
                data[j] = pd.Series(vals, index=col.index, dtype=object)
            elif h in ("Date", "Valid from", "Valid to"):
                vals = col.astype(object).to_numpy(copy=True)
                hit = np.flatnonzero(rng.random(len(vals)) < share / 4)
                vals[hit] = [f"{pd.Timestamp(v):%Y-%m-%d}" if pd.notna(v) else "2024-13-01" for v in vals[hit]]
                data[j] = pd.Series(vals, index=col.index, dtype=object)
            elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                messy = _messy_text(col, rng, share, textonly)
                # keep pandas' str dtype where the column is still all text (the usual reader output)
                kinds = {type(v) for v in messy if v is not None}
                data[j] = messy.astype(col.dtype) if kinds <= {str} else messy
        tables[name] = replace(t, data=data)
    with open(dst, "wb") as fh:
        pickle.dump(replace(raw, tables=tables), fh)


if __name__ == "__main__":
    main()
