"""investigate.copies: the owners named in figures_after, from the asked keys' first rows."""
import numpy as np
import pandas as pd

from massbal.engine.investigate import copies as C


def test_owners_are_the_first_rows_of_the_keys_asked():
    rng = np.random.default_rng(5)
    for n_keys in (1, 3, 8, 12):
        k = rng.integers(0, 15, 300)
        slim = pd.DataFrame({"owner_key": k, "owner": [f"O{x}-{i}" for i, x in enumerate(k)]},
                            index=np.arange(7, 307))
        asked = rng.choice(pd.unique(k), size=min(n_keys, len(pd.unique(k))), replace=False)
        got = C._owners(slim, np.repeat(asked, 2))
        whole = slim.drop_duplicates("owner_key")[["owner_key", "owner"]]
        pd.testing.assert_frame_equal(got, whole[whole["owner_key"].isin(asked)] if n_keys <= 8 else whole)
