"""frames.text_by_code gives the column a frame would make of the object array itself."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.frames import text_by_code


@pytest.mark.parametrize("uniques", [
    ["a", "b", None], ["a", np.nan, "c"], [None, None], [], ["x", 1.5], ["only"],
])
@pytest.mark.parametrize("missing", [np.nan, None])
def test_same_column_as_the_object_array(uniques, missing):
    rng = np.random.default_rng(len(uniques))
    u = np.array(uniques, dtype=object)
    for codes in (rng.integers(-1, len(u), 50), np.full(7, -1), np.array([], dtype=np.int64)):
        plain = np.append(u, np.array([missing], dtype=object))[codes]
        want = pd.DataFrame({"c": plain})["c"]
        got = pd.DataFrame({"c": text_by_code(u, codes, missing)})["c"]
        pd.testing.assert_series_equal(got, want, check_exact=True)
        assert [type(v) for v in got.to_numpy()] == [type(v) for v in want.to_numpy()]


def _plain_make(severity, code, sheet, rows, column, letter, messages):
    """findings.make as it was built before: lists of Python strings the frame converts."""
    rows = pd.array(list(rows), dtype="Int64")
    n = len(rows)
    if letter:
        cells = (letter + pd.Series(rows).astype("string").fillna("")).astype(object)
        cells = cells.where(pd.Series(rows).notna().to_numpy(), None).to_numpy()
    else:
        cells = [None] * n
    return pd.DataFrame({"severity": [severity] * n, "code": [code] * n, "sheet": [sheet] * n, "row": rows,
                         "column": [column] * n, "cell": cells, "message": list(messages)})


@pytest.mark.parametrize("rows", [[2, 3, 10], [None], [4, None], [7]])
@pytest.mark.parametrize("sheet,column,letter", [("Receipts", "Lot", "C"), (None, None, None), ("Items", None, "A")])
def test_findings_make_as_plain_lists(rows, sheet, column, letter):
    from massbal.engine.findings import make
    msgs = [f"message {i}" for i in range(len(rows))]
    got = make("error", "BAD_VALUE", sheet, np.array(rows, dtype=object) if None in rows else np.array(rows),
               column, letter, msgs)
    want = _plain_make("error", "BAD_VALUE", sheet, rows, column, letter, msgs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in got.columns:
        assert [type(v) for v in got[c].to_numpy()] == [type(v) for v in want[c].to_numpy()], c


@pytest.mark.parametrize("values", [["a", None, "b"], [None, None], ["a", np.nan], ["x", 2.0, None], []])
def test_joined_text_as_a_text_column_joined(values):
    from massbal.engine.frames import joined_text
    arr = np.array(values, dtype=object)
    other = pd.Series(np.array(["o", None], dtype=object), dtype=object)
    want = pd.concat([other, pd.DataFrame({"c": arr})["c"]], ignore_index=True)
    got = pd.concat([other, joined_text(arr)], ignore_index=True)
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert [type(v) for v in got.to_numpy()] == [type(v) for v in want.to_numpy()]
