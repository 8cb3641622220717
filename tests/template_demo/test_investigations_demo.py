"""The demo's planted keying slips are each named on the Investigations sheet (CONTRACT s.7)."""
from __future__ import annotations

import pandas as pd

from massbal.books.demo import demo_manifest, write_demo
from massbal.engine.api import reconcile
from massbal.xlsx.read.read_book import read_book

SLIPS = {"miskeyed_sale": "DIGIT_SHIFT", "unit_slip": "UNIT_SLIP", "duplicate_row": "DUPLICATE_ROW",
         "wrong_month": "WRONG_PERIOD"}


def test_each_planted_slip_is_the_first_candidate_of_its_month(tmp_path):
    rec = reconcile(read_book(str(write_demo(tmp_path))))
    inv = rec.investigations
    man = demo_manifest()
    for pid, cause in SLIPS.items():
        (p,) = man.by_id(pid)
        hit = inv[(inv["sheet"] == p.sheet) & (inv["row"] == p.row) & (inv["column"] == p.column)]
        assert len(hit), (pid, inv[["item", "start", "cause", "cell"]])
        first = hit.iloc[0]
        assert first["cause"] == cause and first["rank"] == 1 and first["status_after"] == "PASS", (pid, first)
        typed = first["typed"]
        if pid == "wrong_month":
            assert (typed, first["suggested"]) == (f"{p.value:%Y-%m-%d}", f"{p.intended:%Y-%m-%d}")
            # both months it touches are named: the one it sits in and the one it left
            months = set(pd.to_datetime(hit["start"]).dt.month)
            assert {pd.Timestamp(p.value).month, pd.Timestamp(p.intended).month} <= months
        elif pid == "unit_slip":
            assert (typed, first["suggested"]) == ("kg", "lb")
        elif pid == "miskeyed_sale":
            assert (typed, first["suggested"]) == (100, 1000)
