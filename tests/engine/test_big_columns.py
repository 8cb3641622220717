"""Columns above parse.SMALL rows take the whole-column path; it must agree cell for cell
with the plain per-value path small tables take."""
import numpy as np
import pandas as pd

from massbal.engine import parse
from massbal.engine.schema import name_key

SPELLINGS = ["Oats", " oats ", "OATS", "Oats\u00a0", "Ｏａｔｓ", "Lot  7", "lot 7", "#N/A", "", "   ", None,
             "Rolled\toats", "Оats", "ÉCLAIR", "éclair"]


def column(n: int, dtype) -> pd.Series:
    rng = np.random.default_rng(7)
    values = [SPELLINGS[i] for i in rng.integers(0, len(SPELLINGS), n)]
    values += [f"LOT-{i}" for i in range(n // 3)]  # many distinct values too
    return pd.Series(values, dtype=dtype)


def test_whole_column_text_path_equals_per_value_path():
    for dtype in (object, "string"):
        big = column(parse.SMALL + 1000, dtype)
        p_big = parse.parse_text(big)
        step = parse.SMALL // 2
        small_parts = [parse.parse_text(big.iloc[i:i + step].reset_index(drop=True))
                       for i in range(0, len(big), step)]
        vals = pd.concat([p.values for p in small_parts], ignore_index=True)
        blank = pd.concat([p.blank for p in small_parts], ignore_index=True)
        assert p_big.values.tolist() == vals.tolist()
        assert p_big.blank.tolist() == blank.tolist()
        keys = parse.match_keys(p_big.values)
        expect = ["" if v is None else name_key(v) for v in p_big.values]
        assert list(keys) == expect
        assert "oats" in set(keys) and "оats" in set(keys)  # Cyrillic О stays apart
