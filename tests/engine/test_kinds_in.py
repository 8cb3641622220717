"""ledger.kinds_in is kind.isin(kinds) as a mask: categorical kinds (the ledger's, with a
missing kind and categories no row has), object kinds, and no rows."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.ledger import INFLOW_KINDS, KIND_ORDER, kinds_in


@pytest.mark.parametrize("kinds", [INFLOW_KINDS, ("count",), ("no such kind",), ()])
def test_as_isin(kinds):
    rows = np.array(["receipt", "used", None, "count", "produced", np.nan, "shipped"], dtype=object)
    for kind in (pd.Series(pd.Categorical(rows, categories=list(KIND_ORDER))),
                 pd.Series(rows, dtype=object), pd.Series(pd.Categorical(rows[:0], categories=list(KIND_ORDER)))):
        got = kinds_in(kind, kinds)
        assert isinstance(got, np.ndarray) and got.dtype == bool
        np.testing.assert_array_equal(got, kind.isin(kinds).to_numpy())
