"""Files that cannot be read end in BookReadError with one plain line, never anything else."""
from __future__ import annotations

import os
import struct
import zipfile

import pytest
from ioread_helpers import new_book, put

from massbal.xlsx.read.package import MAX_PARTS
from massbal.xlsx.read.read_book import BookReadError, read_book


def refused(path) -> str:
    with pytest.raises(BookReadError) as info:
        read_book(path)
    assert type(info.value) is BookReadError
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def good_book(path) -> None:
    wb = new_book()
    put(wb.create_sheet("Receipts"), 1, 1, [["Date", "Item", "Lot", "Quantity", "Unit"],
                                           ["2025-01-01", "Oats", "L1", 1, "lb"]])
    wb.save(path)


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_missing_file_and_folder(tmp_path):
    assert "not found" in refused(tmp_path / "nope.xlsx")
    assert "folder" in refused(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert "empty" in refused(tmp_path / "empty.xlsx")


def test_csv_and_text(tmp_path):
    p = tmp_path / "receipts.csv"
    p.write_text("Date,Item,Lot,Quantity,Unit\n2025-01-01,Oats,L1,1000,lb\n")
    assert "CSV" in refused(p)
    renamed = tmp_path / "receipts.xlsx"  # a CSV with the wrong name is still a CSV
    renamed.write_bytes(p.read_bytes())
    assert "CSV" in refused(renamed)


def test_legacy_xls_and_encrypted_cfb(tmp_path):
    def cfb(*streams: str) -> bytes:
        # An OLE compound-file header and a directory sector naming the given streams.
        header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16 + struct.pack("<HH", 0x3E, 3)
        header = header.ljust(512, b"\x00")
        directory = b"".join(s.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for s in streams)
        return header + directory.ljust(512, b"\x00")

    enc = tmp_path / "locked.xlsx"
    enc.write_bytes(cfb("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    assert "password" in refused(enc)
    xls = tmp_path / "old.xls"
    xls.write_bytes(cfb("Root Entry", "Workbook", "\x05SummaryInformation"))
    assert ".xls" in refused(xls)


def test_corrupt_zip(tmp_path):
    good = tmp_path / "good.xlsx"
    good_book(good)
    blob = good.read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(blob[: len(blob) // 2])
    assert "damaged" in refused(truncated)
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    assert "damaged" in refused(garbage)
    # A zip whose sheet data is damaged inside (CRC no longer matches).
    flipped = bytearray(blob)
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    for i in range(start, start + 20):
        flipped[i] ^= 0xFF
    bad = tmp_path / "flipped.xlsx"
    bad.write_bytes(bytes(flipped))
    assert "damaged" in refused(bad)


def test_zip_that_is_not_a_workbook(tmp_path):
    p = tmp_path / "notes.xlsx"
    write_parts(p, {"readme.txt": b"hello"})
    assert "not an Excel" in refused(p)
    ods = tmp_path / "sheet.xlsx"
    write_parts(ods, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                      "content.xml": b"<x/>"})
    assert "OpenDocument" in refused(ods)


def test_unreadable_xml(tmp_path):
    good = tmp_path / "good.xlsx"
    good_book(good)
    parts = parts_of(good)
    for part, damage in [("xl/workbook.xml", b"<workbook><sheets>"),
                         ("xl/_rels/workbook.xml.rels", b"\x00\x01 not xml"),
                         ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>0")]:
        p = tmp_path / f"bad_{part.replace('/', '_')}.xlsx"
        write_parts(p, {**parts, part: damage})
        refused(p)


def test_entity_expansion_refused(tmp_path):
    good = tmp_path / "good.xlsx"
    good_book(good)
    parts = parts_of(good)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    wb_xml = parts["xl/workbook.xml"]
    body = wb_xml[wb_xml.index(b"<workbook"):].replace(b"<sheets>", b"<sheets>&lol2;", 1)
    p = tmp_path / "lol.xlsx"
    write_parts(p, {**parts, "xl/workbook.xml": laughs + body})
    assert "DTD" in refused(p)
    external = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    p2 = tmp_path / "xxe.xlsx"
    write_parts(p2, {**parts, "xl/workbook.xml": external + body.replace(b"&lol2;", b"&x;")})
    refused(p2)


def test_zip_bomb_one_compressible_part(tmp_path):
    good = tmp_path / "good.xlsx"
    good_book(good)
    parts = parts_of(good)
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
        with z.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
            block = b"\x00" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB compressed
                fh.write(block)
    assert os.path.getsize(p) < 2 * 1024 * 1024
    assert "zip bomb" in refused(p)


def test_zip_bomb_declared_total_size(tmp_path):
    # Fifteen parts of 1 MB whose directory claims 150 MB each: 2.2 GB in total.
    p = tmp_path / "huge.xlsx"
    good = tmp_path / "good.xlsx"
    good_book(good)
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts_of(good).items():
            z.writestr(name, data)
        for i in range(15):
            z.writestr(f"xl/media/image{i}.bin", os.urandom(1 << 20))
    blob = bytearray(p.read_bytes())
    pos = 0
    claimed = 150 * 1024 * 1024
    while (pos := blob.find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", blob, pos + 28)[0]
        if blob[pos + 46: pos + 46 + name_len].startswith(b"xl/media/"):
            struct.pack_into("<I", blob, pos + 24, claimed)  # uncompressed size
        pos += 46
    p.write_bytes(bytes(blob))
    assert "zip bomb" in refused(p)


def test_too_many_parts(tmp_path):
    p = tmp_path / "many.xlsx"
    good = tmp_path / "good.xlsx"
    good_book(good)
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts_of(good).items():
            z.writestr(name, data)
        for i in range(MAX_PARTS):
            z.writestr(f"customXml/item{i}.xml", b"")
    assert "zip bomb" in refused(p)


def test_a_good_book_still_reads(tmp_path):
    # The checks above must not refuse an ordinary workbook.
    good = tmp_path / "good.xlsx"
    good_book(good)
    assert list(read_book(good).tables) == ["Receipts"]
