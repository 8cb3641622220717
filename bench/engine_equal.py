"""Check that two engine versions give identical figures and findings on one RawBook.

    python bench/engine_equal.py /tmp/raw1m.pkl OLD_SRC NEW_SRC

OLD_SRC and NEW_SRC are `src` folders (for example a `git archive` of the base commit
and this worktree's src). Each runs in its own interpreter via bench/engine_timing.py
--dump; balances, supply, yields, findings and the ledger are then compared with
pandas.testing.assert_frame_equal (values and dtypes, exactly).
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def run(src: str, rawbook: str, out: str) -> None:
    env = dict(os.environ, PYTHONPATH=src)
    subprocess.run([sys.executable, os.path.join(HERE, "engine_timing.py"), rawbook, "--dump", out],
                   env=env, check=True)


def main() -> None:
    rawbook, old, new = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "old.pkl"), os.path.join(tmp, "new.pkl")
        print("old:", end=" ", flush=True)
        run(old, rawbook, a)
        print("new:", end=" ", flush=True)
        run(new, rawbook, b)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            x, y = pickle.load(fa), pickle.load(fb)
    for name in x:
        pd.testing.assert_frame_equal(x[name], y[name], check_exact=True)
        print(f"{name}: equal ({len(x[name])} rows)")


if __name__ == "__main__":
    main()
