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


def test_small_column_blanks_equal_whole_column_blanks():
    # is_blank's plain loop for small columns against its whole-column steps, on mixed cells
    # (every Unicode white space alone: Python's and Arrow's strip must agree on each)
    spaces = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()]
    cells = SPELLINGS + spaces + [1.0, 0, float("nan"), pd.NaT, True, np.str_(" "), "x\u00a0", "\u2003y"]
    for dtype in (object, "string"):
        col = pd.Series(cells if dtype == object else [c if isinstance(c, str) or c is None else str(c)
                                                     for c in cells], dtype=dtype)
        big = pd.concat([col] * (parse.SMALL // len(col) + 1), ignore_index=True)
        small = parse.is_blank(col).tolist()
        assert parse.is_blank(big).tolist()[:len(col)] == small
        assert small[cells.index("   ")] and not small[cells.index("x\u00a0")]


def test_match_keys_all_ascii_column_equals_per_value_keys():
    # a big all-ASCII column (of read names: white space already cleaned) takes the joined
    # lower-casing; a NUL inside a value, or one non-ASCII value, sends it back to the
    # per-value loop: the same keys every way
    n = parse.SMALL + 10
    ascii_ = [f"Lot-{i} AbC" if i % 3 else f"LOT {i}#Z" for i in range(n)]
    for values in (ascii_, ascii_ + ["a\x00B", "\x00"], ascii_ + ["ÉCLAIR"], ascii_ + [np.str_("MiXed")],
                   ["", "\x00", "A"] * (n // 3)):
        keys = parse.match_keys(pd.Series(values, dtype=object))
        assert list(keys) == [name_key(v) for v in values]
        assert all(type(k) is str for k in keys)


def test_distinct_keys_claims_distinct_only_when_they_are():
    # the claim (the keys as distinct as the distinct values, none empty) against a count of
    # the keys, on upper-case lots (claimed), and on columns where it cannot be made: a
    # lower-case letter (two values then may share a key), an empty text, a missing value,
    # a non-ASCII value, a small column
    n = parse.SMALL + 10
    upper = [f"SFS-{i:06d}-{i % 7}" for i in range(n)]
    for values, claimed in ((upper, True), (upper + ["sfs-000001-1"], False), (upper + ["Lot-1", "LOT-1"], False),
                            (upper + [""], False), (upper + [None], False), (upper + ["ÉCLAIR"], False),
                            (upper[:100], False)):
        keys, distinct = parse.distinct_keys(pd.Series(values, dtype=object))
        assert list(keys) == list(parse.match_keys(pd.Series(values, dtype=object)))
        assert distinct == claimed
        if distinct:
            assert len(set(keys)) == len(keys) and "" not in set(keys)


def _arrow_text_columns(values: list) -> list[pd.Series]:
    """values as Arrow-backed text columns laid out every way a reader may hand them: one
    chunk, several chunks (a concat), a slice (an offset into its buffers), and with
    pandas' two missing-value conventions."""
    import pytest
    pytest.importorskip("pyarrow")
    cols = []
    for dtype in (pd.StringDtype("pyarrow"), pd.StringDtype("pyarrow", na_value=np.nan)):
        one = pd.Series(values, dtype=dtype)
        half = len(values) // 2
        cols += [one, pd.concat([one.iloc[:half], one.iloc[half:]], ignore_index=True),
                 pd.Series(["pad"] + values, dtype=dtype).iloc[1:].reset_index(drop=True)]
    return cols


def test_read_texts_shortcut_equals_the_search():
    # where the column's bytes hold no inner mark and no '#', the value-by-value search is
    # skipped: the same texts, problems and flags as searching, on columns that do and do
    # not hold them (a mark or '#' that only spans two values: searched, same result)
    assert all(e.startswith("#") for e in parse.EXCEL_ERRORS)  # what the shortcut relies on
    plain = [f"INV-25-{i:05d}" for i in range(200)]
    cases = [plain, plain + [None, ""], plain + ["Lot  7"], plain + ["Rolled\toats"], plain + ["a\nb"],
             plain + ["Oats\u00a0x"], plain + ["#N/A"], plain + ["Lot #3"], plain + [" padded "],
             plain + ["ends ", " starts"], plain + ["#", "N/A"], plain + ["Ｏａｔｓ", "éclair"], [], [None, None]]
    searched = 0
    for values in cases:
        for u in _arrow_text_columns(values):
            text = parse._arrow_text_bytes(u)
            assert text == "".join(v for v in values if v is not None).encode()
            stripped = u.str.strip()
            ublank = parse._blank_uniques(u, stripped) | u.isna().to_numpy(dtype=bool)
            got = parse._read_texts(u, ublank, stripped)
            real = parse._arrow_text_bytes
            parse._arrow_text_bytes = lambda _u: None  # the search, as for other storage
            try:
                want = parse._read_texts(u, ublank, stripped)
            finally:
                parse._arrow_text_bytes = real
            assert [list(a) for a in got[:2]] == [list(a) for a in want[:2]] and got[2:] == want[2:], values[-2:]
            searched += not got[2] or got[3]
    assert searched  # (the cases do reach errors and cleaned texts)


def test_filled_texts_equals_notna():
    # the all-text shortcut against pd.notna, on arrays that take it and arrays that do not
    texts = ["Lot-1", "", " ", np.str_("np"), "Éclair"]
    for values in (texts, texts + [None], texts + [float("nan")], texts + [pd.NA], texts + [pd.NaT],
                   texts + [1.0], [b"bytes"] + texts, [None, None], [float("nan"), 2.0], []):
        arr = np.array(values, dtype=object)
        assert parse.filled_texts(arr).tolist() == pd.notna(arr).tolist(), values
        assert parse.filled_texts(arr).dtype == bool


def test_first_rows_equals_unique_first_indices():
    # each code's first row against np.unique's first indices, sorted: repeats, codes never
    # seen, a single row, no rows
    from massbal.engine.load import _first_rows
    rng = np.random.default_rng(3)
    for keys in (rng.integers(0, 40, 5000), rng.integers(5, 8, 100), np.array([3]), np.array([], dtype=np.int64),
                 np.zeros(10, dtype=np.int64), np.arange(50)[::-1]):
        keys = keys.astype(np.int64)
        assert _first_rows(keys, 60).tolist() == np.sort(np.unique(keys, return_index=True)[1]).tolist()
