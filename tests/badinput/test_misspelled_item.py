"""Issue 9, item 4: a misspelled item in a per-item unit ('Granolla' in case) is an unknown
item with a did-you-mean, at its Item cell, not a BAD_UNIT that sends the user to fix a
unit the Items sheet already gives (real .xlsx files, the real reader)."""
import datetime as dt

from test_catalogue import OK_RECEIPT, run


def _ship(item, qty, unit):
    return [dt.date(2025, 3, 5), item, "G1", qty, unit, "Costco"]


def test_granolla_in_case_is_an_unknown_item_with_a_did_you_mean(tmp_path):
    rec = run(tmp_path, receipts=[OK_RECEIPT], shipments=[_ship("Granolla", 10, "case")])
    f = rec.findings
    assert not (f["code"] == "BAD_UNIT").any(), f[["code", "message"]].to_dict("records")
    hit = f[f["code"] == "UNKNOWN_ITEM"].iloc[0]
    assert (hit.sheet, int(hit.row), hit.column, hit.cell) == ("Shipments", 2, "Item", "B2")
    assert "'Granolla' is not on the Items sheet. Did you mean 'Granola'?" in hit.message
    assert "left out of the figures" in hit.message  # a case of what? it cannot be converted
    assert hit.severity == "error"


def test_misspelled_item_in_pounds_still_counts_as_its_own_item(tmp_path):
    rec = run(tmp_path, receipts=[OK_RECEIPT, [dt.date(2025, 3, 2), "Oatz", "L2", 200, "lb", "Andes", "C1"]])
    hit = rec.findings[rec.findings["code"] == "UNKNOWN_ITEM"].iloc[0]
    assert "Did you mean 'Oats'?" in hit.message and "counted as its own item" in hit.message
    assert 200.0 in set(rec.balances.loc[rec.balances["item"] == "Oatz", "received"])


def test_a_known_item_in_a_wrong_unit_is_still_bad_unit(tmp_path):
    rec = run(tmp_path, receipts=[OK_RECEIPT], shipments=[_ship("Oats", 10, "case")])
    f = rec.findings
    assert (f["code"] == "BAD_UNIT").any() and not (f["code"] == "UNKNOWN_ITEM").any()


def test_no_close_name_gives_no_guess(tmp_path):
    rec = run(tmp_path, receipts=[OK_RECEIPT], shipments=[_ship("Widget", 10, "case")])
    hit = rec.findings[rec.findings["code"] == "UNKNOWN_ITEM"].iloc[0]
    assert "Did you mean" not in hit.message
