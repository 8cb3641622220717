"""Issue 9, items 10 and 12: a period's export carries only the findings of rows in that
period (plus the book-wide ones) and its cover counts the same; the fingerprint is one of
the data: two exports of an unchanged book carry the same one, time and version beside it."""
from __future__ import annotations

from datetime import datetime

from massbal.engine import findings as F
from massbal.engine.period_findings import findings_in_period
from massbal.inspector.export import export_inspector
from massbal.inspector.verify import verify

from .books import granola
from .xlsxkit import sheet_rows, table

# a May shipment of a lot that never arrived: an error of May, not of March
MAY = ["2025-05-20", "Granola", "ZZ-9", 10, "lb", "Costco", "Plant", "INV-9"]


def _cover(path) -> dict:
    return {r[0]: r[1] for r in sheet_rows(path, "Cover") if r and r[0]}


def test_a_march_export_leaves_out_may_and_counts_the_same(tmp_path):
    raw = granola(extra_shipments=[MAY])
    march = export_inspector(raw, tmp_path / "march.xlsx", start="2025-03-01", end="2025-03-31", pdf=False)
    may = export_inspector(raw, tmp_path / "may.xlsx", start="2025-05-01", end="2025-05-31", pdf=False)
    m_rows = table(march.path, "Exceptions", "Severity")
    y_rows = table(may.path, "Exceptions", "Severity")
    may_row = 2 + 5  # the sixth Shipments row, under the header on row 1
    assert not any(r["Sheet"] == "Shipments" and r["Row"] == may_row for r in m_rows)
    assert any(r["Code"] == "UNKNOWN_LOT" and r["Sheet"] == "Shipments" and r["Row"] == may_row for r in y_rows)
    # BeeCo's certificate lapsed on 31 January; honey H1 came on 1 March under it: March's error
    assert any(r["Code"] == "CERT_EXPIRED" for r in m_rows)
    assert not any(r["Code"] == "CERT_EXPIRED" for r in y_rows)
    for path, rows in ((march.path, m_rows), (may.path, y_rows)):
        assert _cover(path)["Errors found"] == sum(r["Severity"] == "error" for r in rows)


def _finding(sheet, row, code="UNKNOWN_LOT"):
    return F.make("error", code, sheet, row, "Lot", "C", "x")


def test_batch_inputs_take_their_batchs_date_and_undated_findings_stay():
    raw = granola()
    found = F.combine([_finding("BatchInputs", 9),    # B4's input: B4 ran on 2025-03-07
                       _finding("Shipments", 2),      # shipped 2025-03-10
                       _finding("Items", 3, "NAME_VARIANT"),  # the book as a whole
                       F.make("warning", "MISSING_TABLE", "Farm", None, None, None, "x")])
    march = findings_in_period(found, raw, "2025-03-01", "2025-03-31")
    april = findings_in_period(found, raw, "2025-04-01", "2025-04-30")
    early = findings_in_period(found, raw, "2025-03-08", "2025-03-31")
    assert len(march) == 4
    assert sorted(april["sheet"]) == ["Farm", "Items"]
    assert sorted(early["sheet"]) == ["Farm", "Items", "Shipments"]  # B4's day is before the 8th


def test_two_exports_of_an_unchanged_book_have_the_same_fingerprint(tmp_path):
    raw = granola()
    a = export_inspector(raw, tmp_path / "a.xlsx", start="2025-03-01", end="2025-03-31", pdf=False,
                         now=datetime(2025, 4, 2, 9, 0, 0))
    b = export_inspector(raw, tmp_path / "second copy.xlsx", start="2025-03-01", end="2025-03-31", pdf=False,
                         now=datetime(2025, 4, 9, 17, 30, 5))
    assert a.fingerprint == b.fingerprint
    assert verify(a.path).ok and verify(b.path).ok
    cover = _cover(b.path)
    assert cover["Generated"] == "2025-04-09 17:30:05" and cover["massbal version"]  # stated beside it
    changed = granola(extra_shipments=[["2025-03-20", "Granola", "G2", 1, "lb", "Costco", "Plant", "INV-8"]])
    c = export_inspector(changed, tmp_path / "c.xlsx", start="2025-03-01", end="2025-03-31", pdf=False,
                         now=datetime(2025, 4, 2, 9, 0, 0))
    assert c.fingerprint != a.fingerprint  # a different book: a different fingerprint


def test_the_time_beside_the_fingerprint_is_not_part_of_it(tmp_path):
    """Editing the stated time is not a change of the data; editing a figure still is."""
    import zipfile
    raw = granola()
    a = export_inspector(raw, tmp_path / "a.xlsx", start="2025-03-01", end="2025-03-31", pdf=False,
                         now=datetime(2025, 4, 2, 9, 0, 0))
    with zipfile.ZipFile(a.path) as z:
        names = z.namelist()
        parts = {n: z.read(n) for n in names}
    hit = [n for n in names if b"2025-04-02 09:00:00" in parts[n]]
    assert hit  # the time is stored once, in shared strings or inline
    parts[hit[0]] = parts[hit[0]].replace(b"2025-04-02 09:00:00", b"2025-04-03 10:00:00")
    edited = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.writestr(n, parts[n])
    assert verify(edited).ok
