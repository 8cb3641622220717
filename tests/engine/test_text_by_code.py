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
