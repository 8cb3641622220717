"""findings.amounts: the same text as f"{x:,.2f}" for every value, the unusual ones
included (half cents, signs, zeros, no number, beyond exact cents)."""
import numpy as np
import pandas as pd

from massbal.engine.findings import amounts


def python(values) -> list[str]:
    return [f"{v:,.2f}" for v in values]


EDGES = [0.0, -0.0, 0.004, 0.005, 0.015, 0.125, 0.375, -0.001, -0.005, 0.1, 0.3, 5e-324, -5e-324,
         999.994999, 999.995, -999.995, 999.999, 1000.0, 1234567.885, 9999999.995, 1e12, -1e12, 2.5e13,
         45035996273704.95, 4.5e13, 1e15, 9007199254740993.0, 1e300, -1e300,
         float("nan"), float("inf"), float("-inf")]


def test_edges_as_python_formats_them():
    assert amounts(EDGES) == python(EDGES)


def test_half_cents_and_every_magnitude():
    rng = np.random.default_rng(15)
    values = np.concatenate([
        rng.standard_normal(50_000) * 10.0 ** rng.integers(-3, 16, 50_000),
        rng.integers(-10 ** 9, 10 ** 9, 50_000) / 200 + 0.005,  # on or next to half a cent
        rng.integers(-10 ** 6, 10 ** 6, 50_000) * 0.005,
        np.round(rng.random(50_000) * 1e6, 6),  # as the yields round them
    ])
    assert amounts(values) == python(values.tolist())


def test_series_and_empty():
    s = pd.Series([1234.5, -0.25, 7.0], index=[10, 3, 5])
    assert amounts(s) == ["1,234.50", "-0.25", "7.00"]
    assert amounts([]) == []
    assert amounts(pd.Series([], dtype=float)) == []
