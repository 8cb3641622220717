"""The cell XML's quick checks give what the plain Arrow steps give: the number texts made
once per distinct value, the edge-byte check before trimming, the control-byte check; and
a yes/no column of the result sheets is the mapped texts."""
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from massbal.xlsx.write.cell_xml import _has_bad_bytes, _number_text, _value_bytes, esc_text, may_edge_space


def test_number_text_is_the_cast_with_repeats_zeros_and_missing():
    rng = np.random.default_rng(3)
    days = rng.integers(45_000, 45_400, 5000).astype(float)
    odd = np.array([0.0, -0.0, np.nan, 1e15, 1e16, 123456789012345.0, 0.1 + 0.2, -2.5, 1e-7, np.inf, -np.inf])
    for v in (days, np.concatenate([days, np.tile(odd, 300)]), rng.random(5000) * 1000, np.tile(odd, 200)):
        num = pa.array(v, from_pandas=True)
        got = _number_text(num)
        assert got.equals(pc.cast(num, pa.string()))
    assert _number_text(pa.array(np.tile(odd, 200), from_pandas=True)).to_pylist()[:2] == ["0", "-0"]


def _exact_space(arr) -> list[bool]:
    """Per value, the exact rules the cheap check spares: trimming changes it (the write), or
    Python's \\s at an end (the inspector's export)."""
    trimmed = pc.not_equal(pc.binary_length(pc.utf8_trim_whitespace(arr)), pc.binary_length(arr)).to_pylist()
    return [bool(t) or bool(v and re.search(r"^\s|\s$", v)) for t, v in zip(trimmed, arr.to_pylist(), strict=True)]


def test_edge_bytes_never_miss_a_value_that_trimming_would_change():
    spaces = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2003", "\u3000", "\u2028"]
    for sp in spaces:
        for texts in (["Oats", sp + "Oats", None, ""], ["Oats", "Oats" + sp], ["é" + sp + "é"]):
            arr = pa.array(texts, type=pa.string())
            for a in (arr, arr.slice(1)):
                may = may_edge_space(a)
                assert all(m or not x for m, x in zip(may, _exact_space(a), strict=True))
    plain = pa.array(["Oats", None, "", "Rolled oats", "A-1"], type=pa.string())
    assert not may_edge_space(plain).any() and not any(_exact_space(plain))
    # per value: only the ones with such an edge byte, never a missing one
    assert may_edge_space(pa.array([" a", "b", None, "c\u00a0", "d"])).tolist() == [True, False, False, True, False]


def test_bad_bytes_check_is_the_byte_table():
    table = np.zeros(256, dtype=bool)
    table[[*range(0, 9), 11, 12, *range(14, 32)]] = True
    for i in range(256):
        b = np.array([0x41, i, 0x42], dtype=np.uint8)
        assert _has_bad_bytes(b) == bool(table[b].any() or (b == 0xEF).any())
    assert not _has_bad_bytes(np.zeros(0, dtype=np.uint8))
    arr = pa.array(["a\x01b", "ok\ufffe", "tab\tkept", "&<>"], type=pa.string())
    assert esc_text(arr).to_pylist() == ["ab", "ok", "tab\tkept", "&amp;&lt;&gt;"]
    assert len(_value_bytes(arr))


def test_a_yes_no_column_is_the_mapped_strings():
    import pandas as pd

    from massbal.layout.sheets import convert_column
    values = pd.Series([True, None, False, np.nan, np.True_, np.False_] * 300, dtype=object, index=range(5, 1805))
    got = convert_column(values, "text")
    mapped = values.reset_index(drop=True).map(lambda v: None if v is None or v != v else "Yes" if v else "No")
    pd.testing.assert_series_equal(got, mapped.astype("string"), check_exact=True)


def test_a_column_with_missing_cells_is_the_join_over_every_row():
    """Joined over its filled rows only and spread back, a column with missing values gives
    the rows' XML the join over every row gave (a missing cell is no <c>): few or many
    missing, none filled, a slice (an Arrow offset), texts to escape, edge spaces, status
    styles and numbers."""
    import pandas as pd

    import massbal.xlsx.write.cell_xml as cx
    from massbal.xlsx.write.cell_xml import OutColumn, sheet_rows

    def every_row(letter, rows, attrs, body, value):   # the join it replaces
        pieces = cx._merge([f'<c r="{letter}', rows, *attrs, *body])
        if value.null_count == 0:
            return pieces
        return [pc.binary_join_element_wise(*pieces, "", null_handling="emit_null")]

    rng = np.random.default_rng(5)
    n = 3000
    texts = np.array(["Oats", " lead", "A&B <1>", "é", "", "x\x01y"], dtype=object)[rng.integers(0, 6, n)]
    for missing in (0.0, 0.1, 0.5, 0.99, 1.0):
        gone = rng.random(n) < missing
        text = pd.Series(np.where(gone, None, texts), dtype="string")
        status = pd.Series(np.where(gone, None, np.array(["PASS", "NEGATIVE", "OTHER"])[rng.integers(0, 3, n)]),
                           dtype="string")
        qty = pd.Series(np.where(gone, np.nan, rng.random(n) * 100))
        cols = [OutColumn("T", "text", text, style=2), OutColumn("S", "status", status, style=1,
                                                                   status_styles={"PASS": 5, "NEGATIVE": 6}),
                OutColumn("Q", "quantity", qty, style=3), OutColumn("U", "text", text.iloc[::-1].reset_index(drop=True))]
        got = b"".join(bytes(b) for b in sheet_rows(cols, n, 2, 1, False))
        real, cx._cell_pieces = cx._cell_pieces, every_row
        try:
            want = b"".join(bytes(b) for b in sheet_rows(cols, n, 2, 1, False))
        finally:
            cx._cell_pieces = real
        assert got == want, missing
    arr = pa.array(["a", None, "bb", None, "ccc", "d"]).slice(1)
    cells = pc.binary_join_element_wise("<", arr.drop_null(), ">", "")
    assert cx._spread(cells, arr.is_valid().to_numpy(zero_copy_only=False)).to_pylist() == ["", "<bb>", "", "<ccc>", "<d>"]
