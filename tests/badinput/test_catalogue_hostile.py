"""The bad-input catalogue, continued: the cases of issue 14 (a careless user, a hostile
file). Each is a real .xlsx read by the real reader; each failed before its fix."""
import datetime as dt

import openpyxl
import pytest
from test_catalogue import CERTS, OK_RECEIPT, RECEIPT_HEAD, finding, run

from massbal.engine.api import reconcile
from massbal.xlsx.read.read_book import BookReadError, read_book

COUNT_HEAD = ["Date", "Item", "Quantity", "Unit"]


def tolerance_book(path, tolerance, number_format=None, settings=None):
    """1,000 lb of oats received, 970 counted at the end of March: a 3 % shortfall."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {"Items": [["Item", "Kind", "Tolerance %"], ["Oats", "Ingredient", tolerance]],
              "Certificates": CERTS, "Receipts": [RECEIPT_HEAD, OK_RECEIPT],
              "Counts": [COUNT_HEAD, [dt.date(2025, 3, 31), "Oats", 970, "lb"]]}
    if settings:
        sheets["Settings"] = [["Setting", "Value"]] + [list(r[:2]) for r in settings]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    if number_format:
        wb["Items"]["C2"].number_format = number_format
    for i, r in enumerate(settings or [], start=2):
        if len(r) > 2:
            wb["Settings"].cell(i, 2).number_format = r[2]
    wb.save(path)
    return reconcile(read_book(path), "2025-03-01", "2025-03-31", today=dt.date(2025, 6, 1))


def oats(rec):
    return rec.balances[rec.balances["item"] == "Oats"].iloc[0]


# ---- 2. a Tolerance % below 1 is what it says, unless the cell is formatted as a percentage

def test_half_a_percent_typed_as_a_number_is_half_a_percent(tmp_path):
    b = oats(tolerance_book(tmp_path / "t.xlsx", 0.5))
    assert b.tolerance_pct == 0.5 and b.variance_pct == pytest.approx(-3.0)
    assert b.status == "INVESTIGATE"  # was 50 %: PASS


def test_a_cell_formatted_as_percent_holds_a_fraction(tmp_path):
    b = oats(tolerance_book(tmp_path / "t.xlsx", 0.005, "0.0%"))  # shows 0.5%
    assert b.tolerance_pct == pytest.approx(0.5) and b.status == "INVESTIGATE"
    b = oats(tolerance_book(tmp_path / "t2.xlsx", 0.05, "0%"))  # shows 5%
    assert b.tolerance_pct == pytest.approx(5.0) and b.status == "PASS"


@pytest.mark.parametrize("value,fmt", [(-2, None), (250, None), (5, "0%")])  # 5 formatted as % is 500 %
def test_negative_or_absurd_tolerance_is_bad_value(tmp_path, value, fmt):
    rec = tolerance_book(tmp_path / "t.xlsx", value, fmt)
    assert finding(rec, "BAD_VALUE") == ("Items", 2, "Tolerance %")
    assert oats(rec).tolerance_pct == 5.0 and oats(rec).status == "PASS"  # the default, said at the cell


def test_settings_tolerance_follows_the_same_rule(tmp_path):
    rec = tolerance_book(tmp_path / "s.xlsx", None, settings=[["Tolerance %", 0.5]])
    assert oats(rec).tolerance_pct == 0.5 and oats(rec).status == "INVESTIGATE"
    rec = tolerance_book(tmp_path / "s2.xlsx", None, settings=[["Tolerance %", 0.04, "0%"]])
    assert oats(rec).tolerance_pct == pytest.approx(4.0) and oats(rec).status == "PASS"
    rec = tolerance_book(tmp_path / "s3.xlsx", None, settings=[["Tolerance %", -1]])
    assert finding(rec, "BAD_VALUE") == ("Settings", 2, "Value")


# ---- 10. a run that consumes its own output lot: only that input is blamed

def test_lot_cycle_blames_only_the_input_that_closes_the_circle(tmp_path):
    extra = {"Batches": [["Batch", "Date", "Item", "Lot", "Quantity", "Unit"],
                         ["B1", dt.date(2025, 3, 3), "Granola", "G1", 900, "lb"]],
             "BatchInputs": [["Batch", "Item", "Lot", "Quantity", "Unit"],
                             ["B1", "Oats", "L1", 800, "lb"],  # received: innocent
                             ["B1", "Granola", "G1", 100, "lb"]]}  # its own output: the circle
    rec = run(tmp_path, extra=extra)
    cyc = rec.findings[rec.findings["code"] == "LOT_CYCLE"]
    assert [(r.sheet, int(r.row), r.column) for r in cyc.itertuples()] == [("BatchInputs", 3, "Lot")]
    assert "L1" not in " ".join(cyc["message"])


# ---- 11. a name longer than a message can quote

def test_a_huge_name_is_quoted_short_and_the_advice_survives(tmp_path):
    name = "Oats " + "x" * 32_000  # near Excel's 32,767 characters per cell
    row = [dt.date(2025, 3, 2), name, "L9", 10, "lb", "Andes", "C1"]
    rec = run(tmp_path, receipts=[OK_RECEIPT, row])
    f = rec.findings[rec.findings["code"] == "UNKNOWN_ITEM"].iloc[0]
    assert (f.sheet, int(f.row), f.column) == ("Receipts", 3, "Item")
    assert len(f.message) <= 1_000 and "32,005 characters" in f.message and "Items sheet" in f.message
    assert all(len(m) <= 1_000 for m in rec.findings["message"])


# ---- 14. a workbook whose structure is locked gets no new sheets

def test_locked_structure_is_refused_untouched(tmp_path):
    from openpyxl.workbook.protection import WorkbookProtection

    from massbal.xlsx.write.write_results import write_results
    from massbal.xlsx.write.zip_copy import PackageError
    run(tmp_path)
    path = tmp_path / "book.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(path)
    before = path.read_bytes()
    raw = read_book(path)
    with pytest.raises(PackageError) as e:
        write_results(path, reconcile(raw), before=raw.signature)
    assert "structure is protected" in str(e.value) and "\n" not in str(e.value)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


# ---- 13. a FIFO named like a workbook is refused at once, not waited on forever

def test_a_fifo_named_xlsx_is_refused(tmp_path):
    import os
    import subprocess
    import sys
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    code = f"from massbal.xlsx.read.read_book import read_book\nread_book({str(fifo)!r})"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "not an ordinary file" in p.stderr


# ---- 7. a part that lies about its size is refused before it fills memory

def _lying_bomb(path, good, inflated_mb):
    """The good book with its Receipts sheet replaced by one that declares 1 KB but
    inflates to `inflated_mb` MB (a valid sheet padded with spaces)."""
    import struct
    import zipfile
    import zlib
    with zipfile.ZipFile(good) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet3.xml"  # Items, Certificates, Receipts: the Receipts sheet
    head = parts[sheet]
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = [c.compress(head[:-len(b"</worksheet>")])]
    pad = b" " * (1 << 20)
    body += [c.compress(pad) for _ in range(inflated_mb)]
    body.append(c.compress(b"</worksheet>") + c.flush())
    data = b"".join(body)
    declared = 1024
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b if n != sheet else b"x" * declared)  # placeholder of the declared size
    blob = bytearray(path.read_bytes())
    # swap the placeholder's stored bytes for the real stream, fixing sizes and offsets
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(sheet)
    at = info.header_offset
    n, e = struct.unpack_from("<HH", blob, at + 26)
    start = at + 30 + n + e
    blob[start:start + info.compress_size] = data
    shift = len(data) - info.compress_size
    struct.pack_into("<I", blob, at + 18, len(data))  # local header: compressed size
    cd = blob.find(b"PK\x01\x02")
    while cd >= 0:
        name_len = struct.unpack_from("<H", blob, cd + 28)[0]
        name = bytes(blob[cd + 46: cd + 46 + name_len]).decode()
        off = struct.unpack_from("<I", blob, cd + 42)[0]
        if name == sheet:
            struct.pack_into("<I", blob, cd + 20, len(data))
        elif off > at:
            struct.pack_into("<I", blob, cd + 42, off + shift)
        cd = blob.find(b"PK\x01\x02", cd + 46)
    eocd = blob.rfind(b"PK\x05\x06")
    cd_off = struct.unpack_from("<I", blob, eocd + 16)[0]
    struct.pack_into("<I", blob, eocd + 16, cd_off + shift)
    path.write_bytes(bytes(blob))
    return sheet


def test_a_part_lying_about_its_size_is_refused_with_little_memory(tmp_path):
    import subprocess
    import sys
    run(tmp_path)  # writes book.xlsx (Items, Certificates, Receipts)
    bomb = tmp_path / "bomb.xlsx"
    _lying_bomb(bomb, tmp_path / "book.xlsx", 400)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    code = ("import resource, sys\nfrom massbal.xlsx.read.read_book import BookReadError, read_book\n"
            f"try:\n    read_book({str(bomb)!r})\n    print('READ')\nexcept BookReadError as e:\n    print(e)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert "zip bomb" in p.stdout, (p.stdout, p.stderr[-2000:])
    assert int(p.stderr.strip().splitlines()[-1]) < 350  # MB: the 400 MB never held in memory


# ---- 12. a file replaced while it is read is the old file or the new one, never "damaged"

def test_replaced_while_read_is_never_called_damaged(tmp_path):
    import os
    import shutil
    import threading
    run(tmp_path)
    small = tmp_path / "book.xlsx"
    big = tmp_path / "big.xlsx"
    rows = [OK_RECEIPT] + [[dt.date(2025, 3, 2), "Oats", f"M{i}", 1, "lb", "Andes", "C1"] for i in range(3000)]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, body in {"Items": [["Item"], ["Oats"]], "Certificates": CERTS, "Receipts": [RECEIPT_HEAD] + rows,
                       "Notes": [["a sheet the small book does not have"]]}.items():
        ws = wb.create_sheet(name)
        for r in body:
            ws.append(r)
    wb.save(big)
    target = tmp_path / "swapped.xlsx"
    shutil.copy(small, target)
    stop = threading.Event()

    def swapper():
        i = 0
        while not stop.is_set():
            src = big if i % 2 else small
            tmp = tmp_path / f".swap{i % 2}"
            shutil.copy(src, tmp)
            os.replace(tmp, target)  # what Excel's save does: a new file at the path
            i += 1

    t = threading.Thread(target=swapper)
    t.start()
    seen = set()
    try:
        for _ in range(25):
            try:
                raw = read_book(target)
            except BookReadError as e:
                assert "damaged" not in str(e), str(e)
                seen.add("refused")
                continue
            seen.add(len(raw.get("Receipts").rows))
    finally:
        stop.set()
        t.join()
    assert seen <= {1, 3001, "refused"} and seen & {1, 3001}
