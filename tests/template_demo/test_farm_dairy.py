"""The dairy demo (massbal.books.gen.farm_dairy) written as a real workbook and reconciled end to
end: its herds close, the cows graze about 35 % and the heifers fall short, and March's
conventional ration is found at every row that fed it (issue 11, item 7)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from bookkit import findings, one
from farmkit import write_farm_xlsx

from massbal.engine.api import reconcile


def test_dairy_demo_end_to_end(tmp_path):
    from massbal.books.gen.farm_dairy import dairy_rows
    from massbal.xlsx.read.read_book import read_book
    rows = dairy_rows(2025, np.random.default_rng(11))
    path = write_farm_xlsx(tmp_path / "dairy.xlsx", **rows)
    rec = reconcile(read_book(path), "2025-01-01", "2025-12-31", period="month")
    assert set(rec.herds["herd"]) == {"Milking cows", "Heifers", "Calves"}
    assert (rec.herds["status"] == "PASS").all()  # every month-end count closes
    cows = rec.herds[rec.herds["herd"] == "Milking cows"]
    assert 110 <= cows["beginning"].min() and cows["expected_ending"].max() <= 135
    assert cows["born"].sum() == 0 and rec.herds["born"].sum() > 80  # calves are born into Calves
    assert (rec.feed["status"] == "PASS").all()
    p = {r.herd: r for r in rec.pasture.itertuples()}
    assert set(p) == {"Milking cows", "Heifers"}  # the calves are not ruminating yet
    assert p["Milking cows"].days == 165 and 33 <= p["Milking cows"].dmi_pct <= 37 and p["Milking cows"].status == "PASS"
    assert p["Heifers"].dmi_pct < 30 and p["Heifers"].status == "BELOW 30%"
    assert one(findings(rec, "PASTURE_DMI"), severity="error").row == 3  # the Heifers row of Herds
    bad = findings(rec, "NONORGANIC_FEED")
    fu = pd.DataFrame(rows["FarmUse"])
    fu["row"] = np.arange(2, len(fu) + 2)
    fed_conventional = fu[fu["Lot"] == "RAT-2025-03"]
    assert sorted(bad["row"]) == sorted(fed_conventional["row"]) and len(bad) >= 4
    assert set(pd.to_datetime(fed_conventional["Date"]).dt.month) <= {2, 3, 4}
    assert rec.herds[rec.herds["herd"] != "Milking cows"]["output"].isna().all()  # no product, no output
    milk = rec.herds[(rec.herds["herd"] == "Milking cows")]
    assert ((milk["output_pct"] > 85) & (milk["output_pct"] < 100)).all()
    for code in ("HEAD_COUNT", "FEED_SHORTFALL", "UNKNOWN_HERD", "HERD_MOVE", "CERT_MISSING", "CERT_EXPIRED",
                 "OUTPUT_OVER_EXPECTED", "GRAZING_SEASON", "BAD_VALUE", "MISSING_VALUE"):
        assert findings(rec, code).empty, code
