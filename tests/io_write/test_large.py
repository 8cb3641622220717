"""A Ledger larger than one slice of rows: every row lands where it should."""
from __future__ import annotations

from datetime import date

import fastexcel
import numpy as np
import openpyxl
import pandas as pd
import recs

from massbal.xlsx.write.cell_xml import CHUNK_ROWS
from massbal.xlsx.write.write_results import write_results


def test_a_ledger_of_several_slices_reads_back_exactly(tmp_path):
    rows = 2 * CHUNK_ROWS + 1234
    rec = recs.reconciliation(ledger_rows=rows)
    rec.ledger.loc[CHUNK_ROWS - 1, "reference"] = "  padded & <odd>\x01 "
    path = tmp_path / "big.xlsx"
    openpyxl.Workbook().save(path)
    report = write_results(path, rec, today=date(2025, 12, 5), backup=False)
    assert next(s for s in report.sheets if s.output == "Ledger").rows == rows
    got = fastexcel.read_excel(str(path)).load_sheet("Ledger").to_pandas()
    exp = rec.ledger
    assert len(got) == rows
    assert np.array_equal(got["Quantity"].to_numpy(), exp["qty"].to_numpy())
    assert np.array_equal(got["Effect"].to_numpy(), exp["effect"].to_numpy())
    assert (got["Lot"].to_numpy() == exp["lot"].to_numpy()).all()
    assert (pd.to_datetime(got["Date"]).to_numpy() == exp["date"].to_numpy()).all()
    assert got["Row"].astype(int).tolist() == exp["row"].tolist()
    same_blank = got["Batch"].isna().to_numpy() == exp["batch"].isna().to_numpy()
    assert same_blank.all()
    # leading/trailing spaces kept, XML special characters escaped, control characters dropped
    assert got.loc[CHUNK_ROWS - 1, "Reference"] == "  padded & <odd> "
