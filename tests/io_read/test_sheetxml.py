"""Header rows found from the top of a sheet's XML, and shared strings found by scanning."""
from __future__ import annotations

import random
import zipfile
from xml.etree import ElementTree as ET

import xlsxwriter
from ioread_helpers import write_package

from massbal.xlsx.read.header_row import SharedStrings, find_header_row
from massbal.xlsx.read.package import Package
from massbal.xlsx.read.read_book import read_book

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def all_shared_strings(path) -> list[str]:
    """Ground truth: the whole shared-strings part parsed at once."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
    out = []
    for si in root.iter(MAIN + "si"):
        phonetic = {id(t) for rph in si.iter(MAIN + "rPh") for t in rph.iter(MAIN + "t")}
        out.append("".join(t.text or "" for t in si.iter(MAIN + "t") if id(t) not in phonetic))
    return out


def test_shared_strings_scan_across_chunks_and_late_headers(tmp_path):
    # 60,000 distinct strings (several MB of shared strings), then the Receipts sheet,
    # whose headers are therefore the last entries of the table.
    path = tmp_path / "many_strings.xlsx"
    wb = xlsxwriter.Workbook(path)
    data = wb.add_worksheet("Lots")
    bold = wb.add_format({"bold": True})
    for i in range(60_000):
        data.write_string(i, 0, f"Lot {i:06d} & <sample> {'x' * (i % 37)}")
    data.write_rich_string(0, 1, "Rich ", bold, "text", " here")
    data.write_string(1, 1, "bell\x07 and tab\t")
    rec = wb.add_worksheet("Receipts")
    rec.write_row(0, 0, ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier lot"])
    rec.write_row(1, 0, ["2025-01-01", "Oats", "Lot 000001 & <sample> x", 5, "lb", "S-1"])
    wb.close()

    truth = all_shared_strings(path)
    assert len(truth) > 60_000
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/sharedStrings.xml").file_size > 3 * (1 << 20)  # > 3 chunks
    rng = random.Random(7)
    wanted = {0, 1, len(truth) - 1, *rng.sample(range(len(truth)), 200)}
    with Package(path) as pkg:
        found = SharedStrings(pkg, "xl/sharedStrings.xml").lookup(wanted)
    assert found == {i: truth[i].replace("_x0007_", "\x07") for i in wanted}
    assert "Rich text here" in truth

    t = read_book(path).tables["Receipts"]
    assert t.headers == ("Date", "Item", "Lot", "Quantity", "Unit", "Supplier lot")
    assert t.data[2].iloc[0] == "Lot 000001 & <sample> x"


def test_header_from_rich_text_phonetic_inline_and_numbers(tmp_path):
    path = tmp_path / "hand.xlsx"
    sst = ('<si><t>Da</t></si>'  # 0: (unused)
           '<si><r><rPr><b/></rPr><t>It</t></r><r><t xml:space="preserve">em</t></r></si>'  # 1
           '<si><t>Lot</t><rPh sb="0" eb="1"><t>ろっと</t></rPh></si>'  # 2: phonetic guide
           '<si><t>Quantity_x000a_(kg)</t></si>')  # 3: escaped line break
    sheet = ('<sheetData>'
             '<row r="2"><c r="B2" s="1"/></row>'  # a formatted, empty cell: not the header
             '<row r="3"><c r="B3" t="inlineStr"><is><t>Date</t></is></c>'
             '<c r="C3" t="s"><v>1</v></c><c r="D3" t="s"><v>2</v></c>'
             '<c r="E3" t="s"><v>3</v></c><c r="F3" t="str"><f>"Unit"</f><v>Unit</v></c>'
             '<c r="H3"><v>2024</v></c></row>'
             '<row r="4"><c r="B4" t="inlineStr"><is><t>2025-01-01</t></is></c>'
             '<c r="C4" t="inlineStr"><is><t>Oats</t></is></c><c r="E4"><v>2.5</v></c></row>'
             '</sheetData>')
    write_package(path, {"Receipts": sheet}, sst)
    with Package(path) as pkg:
        header = find_header_row(pkg, "xl/worksheets/sheet1.xml", SharedStrings(pkg, "xl/sharedStrings.xml"))
    assert header.row == 3 and header.first_col == 2 and header.last_col == 8
    assert header.headers == ("Date", "Item", "Lot", "Quantity\n(kg)", "Unit", "", "2024")

    t = read_book(path).tables["Receipts"]
    assert t.header_row == 3 and t.columns == ("B", "C", "D", "E", "F", "G", "H")
    assert list(t.rows) == [4] and t.data[3].iloc[0] == 2.5


def test_cells_and_rows_without_references(tmp_path):
    # r attributes are optional: rows and cells then follow one another.
    path = tmp_path / "norefs.xlsx"
    sheet = ('<sheetData>'
             '<row><c t="inlineStr"><is><t>Setting</t></is></c><c t="inlineStr"><is><t>Value</t></is></c></row>'
             '<row><c t="inlineStr"><is><t>Unit</t></is></c><c t="inlineStr"><is><t>kg</t></is></c></row>'
             '</sheetData>')
    write_package(path, {"Settings": sheet})
    t = read_book(path).tables["Settings"]
    assert t.headers == ("Setting", "Value") and t.header_row == 1
    assert list(t.rows) == [2] and list(t.data.iloc[0]) == ["Unit", "kg"]


def test_shared_string_prefixed_namespace(tmp_path):
    # Some generators write <x:si><x:t>...; the scanner must count and read those too.
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0"?><x:sst xmlns:x="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main"><x:si><x:t>zero</x:t></x:si><x:si/>'
                   '<x:si><x:r><x:t>tw</x:t></x:r><x:r><x:t>o</x:t></x:r></x:si></x:sst>')
    with Package(path) as pkg:
        assert SharedStrings(pkg, "xl/sharedStrings.xml").lookup({0, 1, 2, 7}) == \
            {0: "zero", 1: "", 2: "two", 7: ""}


def test_shared_string_longer_than_a_read_chunk(tmp_path):
    path = tmp_path / "long.xlsx"
    long_text = "".join(f"<{i}>" for i in range(400_000))  # ~3 MB of text full of '<'
    escaped = long_text.replace("<", "&lt;").replace(">", "&gt;")
    entries = ["<si><t>first</t></si>", f"<si><t>{escaped}</t></si>", "<si><t>after</t></si>"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                   '2006/main">' + "".join(entries) + "</sst>")
    with Package(path) as pkg:
        strings = SharedStrings(pkg, "xl/sharedStrings.xml")
        assert strings.lookup({2}) == {2: "after"}
        assert strings.lookup({1, 0}) == {0: "first", 1: long_text}
