"""checks._second_sources (one sort) against the pandas steps it replaced (drop_duplicates of
(lot, source) pairs, lots with more than one source, each lot's first row left out)."""
import numpy as np
import pandas as pd

from massbal.engine.checks import _second_sources


def _by_pandas(lot, src):
    made = pd.DataFrame({"lot": lot, "src": src})
    firsts = made.drop_duplicates(["lot", "src"])
    n = firsts.groupby("lot", sort=False)["src"].transform("size")
    dup = firsts[n > 1]
    later = dup[dup.duplicated("lot", keep="first")]
    first = dup.drop_duplicates("lot").reset_index().set_index("lot")["index"]
    return later.index.to_numpy(), first.reindex(later["lot"]).to_numpy()


def test_second_sources_match_the_pandas_steps():
    rng = np.random.default_rng(15)
    for n, lots, sources in ((0, 1, 1), (1, 1, 1), (7, 2, 3), (200, 30, 4), (5000, 900, 50), (3000, 5, 2)):
        lot = rng.integers(0, lots, n).astype(np.int64) << 32
        src = rng.integers(-sources, sources, n).astype(np.int64)
        later, first = _second_sources(lot, src)
        want_later, want_first = _by_pandas(lot, src)
        assert later.tolist() == want_later.tolist()
        assert first.tolist() == want_first.tolist()
