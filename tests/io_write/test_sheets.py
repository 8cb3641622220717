"""The layout of the five output sheets (massbal.layout.sheets): pure, no files."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import recs

from massbal.engine import findings as F
from massbal.engine.schema import USER_NOTE_COLUMNS
from massbal.layout.notes import ORPHAN_HEADERS, key_parts, row_keys
from massbal.layout.sheets import (
    GO_TO,
    STATUS_COLORS,
    finding_links,
    marker_name,
    quantity_format,
    result_sheets,
)


def test_five_sheets_in_order_with_the_users_words():
    specs = result_sheets(recs.reconciliation())
    assert [s.name for s in specs] == ["Balance", "Supply", "Yield", "Exceptions", "Ledger", "Investigations"]
    bal, sup, yld, exc, led, _ = specs
    assert bal.headers[:19] == (
        "Item", "Owner", "Start", "End", "Beginning", "Received", "Harvested", "Produced", "Used", "Farm use",
        "Applied", "Shipped", "Losses", "Expected ending", "Counted ending", "Variance", "Variance %", "Tolerance %",
        "Status")  # Harvested, Farm use, Applied: a farm's flows (CONTRACT section 6), zero for a handler
    assert sup.headers[0] == "Ingredient" and sup.headers[7:12] == (
        "Farm use equivalent", "On hand equivalent", "Unaccounted", "Tolerance %", "Status")
    assert yld.headers[:10] == ("Batch", "Product", "Date", "Owner", "Input", "Output", "Process loss",
                                "Documented loss", "Undocumented loss", "Yield %")
    assert exc.headers[:7] == ("Severity", "Code", "Sheet", "Row", "Column", "Message", GO_TO)
    assert led.headers[:4] == ("Date", "Kind", "Item", "Lot")
    for s in (bal, sup, yld, exc):
        assert s.headers[-4:] == USER_NOTE_COLUMNS and s.note_columns == USER_NOTE_COLUMNS
    assert led.note_columns == () and not set(USER_NOTE_COLUMNS) & set(led.headers)


def test_keys_kinds_and_formats():
    bal, sup, yld, exc, led, _ = result_sheets(recs.reconciliation(unit="kg"))
    assert bal.keys == ("Item", "Owner", "Start", "End")
    assert sup.keys == ("Ingredient", "Owner", "Start", "End")
    assert yld.keys == ("Batch",)
    assert exc.keys == ("Code", "Sheet", "Column", "Message")  # the finding, not its row number (issue 14)
    assert led.keys == ()
    assert bal.column("Beginning").number_format == '#,##0.00 "kg"'
    assert bal.column("Start").kind == "date" and bal.column("Status").kind == "status"
    assert bal.column("Variance %").kind == "percent"
    assert exc.column("Row").kind == "integer" and exc.column(GO_TO).kind == "link"
    assert quantity_format('l"b') == '#,##0.00 "lb"'


def test_data_are_whole_columns_with_missing_values():
    rec = recs.reconciliation()
    bal = result_sheets(rec)[0]
    assert bal.nrows == len(rec.balances)
    assert list(bal.data["Item"]) == list(rec.balances["item"])
    assert bal.data["Start"].dtype.kind == "M"
    counted = bal.data["Counted ending"]
    assert counted.dtype == np.float64 and counted.isna().sum() == rec.balances["counted_ending"].isna().sum()
    assert bal.data["Owner"].isna().sum() == rec.balances["owner"].isna().sum()


def test_status_colours():
    assert STATUS_COLORS["PASS"] == "green"
    assert STATUS_COLORS["INVESTIGATE"] == STATUS_COLORS["NO COUNT"] == "amber"
    assert STATUS_COLORS["NEGATIVE"] == STATUS_COLORS["OVERSOLD"] == STATUS_COLORS["error"] == "red"


def test_finding_links_point_at_the_cell():
    f = F.combine([
        F.make("error", "UNKNOWN_LOT", "Receipts", [17], "Lot", "C", "x"),
        F.make("error", "BAD_DATE", "Bob's sheet", [5], "Date", None, "x"),
        F.make("warning", "MISSING_TABLE", "Counts", None, None, None, "x"),
        F.make("info", "NAME_VARIANT", None, None, None, None, "x"),
    ])
    display, location = finding_links(f)
    got = dict(zip(f["code"], zip(display, location, strict=True), strict=True))
    assert got["UNKNOWN_LOT"] == ("Receipts!C17", "'Receipts'!C17")
    assert got["BAD_DATE"] == ("Bob's sheet!A5", "'Bob''s sheet'!A5")
    assert got["MISSING_TABLE"] == ("Counts!A1", "'Counts'!A1")
    assert pd.isna(got["NAME_VARIANT"][0]) and pd.isna(got["NAME_VARIANT"][1])


def test_booleans_read_yes_no_and_empty_frames():
    rec = recs.reconciliation(ledger_rows=3)
    rec.ledger["organic"] = [True, False, None]
    led = next(s for s in result_sheets(rec) if s.name == "Ledger")
    assert list(led.data["Organic"].fillna("?")) == ["Yes", "No", "?"]
    empty = recs.reconciliation(balances=recs.balances([]), findings=F.empty(), ledger=recs.ledger(0))
    specs = result_sheets(empty)
    assert specs[0].nrows == 0 and specs[3].nrows == 0 and specs[4].nrows == 0


def test_row_keys_match_what_a_sheet_gives_back():
    bal = result_sheets(recs.reconciliation())[0]
    keys = row_keys(bal)
    assert keys[0] == "Almonds |  | 2025-11-01 | 2025-11-30"
    assert keys[2] == "Quinoa | Acme | 2025-11-01 | 2025-11-30"
    # a date read back from a sheet as a Timestamp, text with stray spaces, a float row
    assert list(key_parts(pd.Series([pd.Timestamp("2025-11-01"), None]), "date")) == ["2025-11-01", ""]
    assert list(key_parts(pd.Series([" Almonds ", None]), "text")) == ["Almonds", ""]
    assert list(key_parts(pd.Series([17.0, None]), "integer")) == ["17", ""]
    assert key_parts(pd.Series([date(2025, 1, 2)]), "date")[0] == "2025-01-02"


def test_marker_names_are_valid_excel_names():
    assert marker_name("Balance") == "_massbal.Balance"
    assert marker_name("Orphaned notes") == "_massbal.Orphaned_notes"
    assert ORPHAN_HEADERS[:4] == ("Sheet", "Key", "Column", "Value")


def test_known_sheet_is_the_pandas_reading_of_the_link():
    """known_sheet (one Arrow regex, each distinct sheet lowered once) says what the pandas
    reading of each link's sheet said: quotes doubled in names, no match, missing, empty,
    case by pandas' own lower (İ), line feeds in names; in both pandas string storages."""
    from massbal.xlsx.write.write_results import known_sheet
    vals = ["'Ledger'!A5", "'It''s'!B2", "'ÄBC'!A1", "'İx'!A1", "'İX'!A1", None, "", "Ledger!A1", "'a''!x'!A1",
            "'a'!'b'!A1", "'Supply'", "'sup\nply'!A1", "'SUPPLY'!C3", "'x'''!A1", "''!A1", "'Ledger'!", "'ledger' !A1"]
    names = {"ledger", "it's", "äbc", "i̇x", "a'!x", "a", "sup\nply", "supply", "x'", ""}
    for dtype in ("string", pd.StringDtype("python"), pd.StringDtype("pyarrow")):
        loc = pd.Series(vals * 2, dtype=dtype)
        sheet = loc.str.extract(r"^'((?:[^']|'')*)'!", expand=False).str.replace("''", "'")
        want = (sheet.str.lower().isin(names).fillna(False) & loc.notna()).to_numpy(dtype=bool)
        assert known_sheet(loc, names).tolist() == want.tolist()
