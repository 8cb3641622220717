"""schema.name_keys: a whole column keyed as name_key keys each value, missing ones too."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.schema import name_key, name_keys

ODD = ["Oats ", "ＯＡＴＳ", None, "oats\u00a0x", "B-1", np.nan, 3, "", "  a  b ", pd.NA, "Straße", "STRASSE"]


@pytest.mark.parametrize("column", [
    pd.Series(ODD * 2, dtype=object),
    pd.Series(["x", None, "Y", "x"], dtype="string"),
    pd.Series(["x", None, "Y"], dtype="str"),   # pandas 3's text (Arrow where installed); object in 2.2
    pd.Series([None, None], dtype=object),
    pd.Series([], dtype=object),
    pd.Series(["b", "a"], index=[7, 3], dtype=object),
])
def test_name_keys_is_name_key_of_every_value(column):
    got = name_keys(column)
    assert got.tolist() == column.map(name_key).tolist()
    assert got.index.equals(column.index)


def test_look_alike_names_share_a_key():
    assert name_keys(pd.Series(["Oats", " ＯＡＴＳ", "oats"])).nunique() == 1
    assert name_keys(pd.Series(["Straße", "STRASSE"])).nunique() == 1
