"""Zip-level surgery on an xlsx/xlsm package.

Loading a workbook into an object model and saving it again drops whatever the library
does not model (measured with openpyxl: parts lost in 60 of 76 real workbooks). So
massbal never re-saves a workbook: it copies every zip member it does not own through
byte for byte (local header, compressed data and central-directory record unchanged
apart from the member's offset), in the original order, and writes only the parts it
replaces or adds.

Nearly 500 lines: the reader of the old package and the writer of the new one
share the member records and the deflate choice (ISA-L or zlib), and belong together.
"""
from __future__ import annotations

import io
import posixpath
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

try:  # ISA-L's deflate: zlib's format at 4-5x zlib's speed (fastest level), 2x when inflating
    from isal import isal_zlib as _isal
except ImportError:  # not installed (or no wheel for this platform): zlib, same files, slower
    _isal = None

# the CRC of every member written (ISA-L's is several times zlib's on long sheets)
crc32 = _isal.crc32 if _isal is not None else zlib.crc32


def _compressor(level: int):
    """A raw deflate stream. Level 1 (big sheets) is ISA-L's fastest where installed, which
    is also smaller than zlib's level 1; small parts keep zlib's level (a few ms)."""
    if _isal is not None and level <= 1:
        return _isal.compressobj(1, zlib.DEFLATED, -15)
    return zlib.compressobj(level, zlib.DEFLATED, -15)


def decompressor():
    return _isal.decompressobj(-15) if _isal is not None else zlib.decompressobj(-15)


INFLATE_ERRORS = (zlib.error,) + ((_isal.error,) if _isal is not None else ())


class PackageError(Exception):
    """The file is not a workbook massbal can write into (one plain sentence)."""


_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_MAX32 = 0xFFFFFFFF
_DOS_DATE_1980 = (0 << 11) | (0 << 5) | 0, (0 << 9) | (1 << 5) | 1  # time, date: 1980-01-01 00:00


@dataclass
class Member:
    name: str
    central: bytes          # the central-directory record as found
    offset: int             # local header offset
    end: int                # end of this member's bytes (next member or central directory)
    offset_in_zip64: int    # position of the offset inside `central`'s zip64 extra, or -1


def _zip64_offset_pos(central: bytes, name_len: int, extra_len: int,
                      usize: int, csize: int, offset: int) -> int:
    """Where a zip64 extra field holds the local header offset (-1 when it does not)."""
    if offset != _MAX32:
        return -1
    pos = 46 + name_len
    end = pos + extra_len
    while pos + 4 <= end:
        tag, size = struct.unpack_from("<HH", central, pos)
        if tag == 1:
            field = pos + 4
            if usize == _MAX32:
                field += 8
            if csize == _MAX32:
                field += 8
            return field
        pos += 4 + size
    raise PackageError("The workbook's zip directory is damaged (zip64 offset missing).")


class Package:
    """Read side: the central directory as raw records, plus zipfile for content."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise PackageError("This file is not an Excel workbook (.xlsx/.xlsm): it is not a "
                               "zip package (an encrypted or old .xls file?).") from None
        self.fh = open(path, "rb")
        self.members, self.comment = self._read_directory()
        self._by_lower = {m.name.lower(): m.name for m in self.members}

    def close(self) -> None:
        self.zip.close()
        self.fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_directory(self) -> tuple[list[Member], bytes]:
        fh = self.fh
        fh.seek(0, 2)
        size = fh.tell()
        tail_len = min(size, 65536 + 22)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(_EOCD)
        if at < 0:
            raise PackageError("The workbook's zip directory is missing.")
        eocd_pos = size - tail_len + at
        (_, _, _, _, count, cd_size, cd_offset, comment_len) = struct.unpack_from(
            "<4sHHHHIIH", tail, at)
        comment = tail[at + 22: at + 22 + comment_len]
        if count == 0xFFFF or cd_size == _MAX32 or cd_offset == _MAX32:
            loc = tail.rfind(_ZIP64_LOCATOR, 0, at)
            if loc < 0:
                raise PackageError("The workbook's zip64 directory is missing.")
            (_, _, z64_pos, _) = struct.unpack_from("<4sIQI", tail, loc)
            fh.seek(z64_pos)
            rec = fh.read(56)
            if rec[:4] != _ZIP64_EOCD:
                raise PackageError("The workbook's zip64 directory is damaged.")
            (count, cd_size, cd_offset) = struct.unpack_from("<QQQ", rec, 32)
        fh.seek(cd_offset)
        cd = fh.read(cd_size)
        members: list[Member] = []
        pos = 0
        for _ in range(count):
            if cd[pos:pos + 4] != _CENTRAL:
                raise PackageError("The workbook's zip directory is damaged.")
            (flags,) = struct.unpack_from("<H", cd, pos + 8)
            csize, usize = struct.unpack_from("<II", cd, pos + 20)
            name_len, extra_len, comm_len = struct.unpack_from("<HHH", cd, pos + 28)
            (offset,) = struct.unpack_from("<I", cd, pos + 42)
            rec_len = 46 + name_len + extra_len + comm_len
            central = cd[pos:pos + rec_len]
            raw_name = central[46:46 + name_len]
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
            z64 = _zip64_offset_pos(central, name_len, extra_len, usize, csize, offset)
            if z64 >= 0:
                (offset,) = struct.unpack_from("<Q", central, z64)
            members.append(Member(name, central, offset, 0, z64))
            pos += rec_len
        starts = sorted({m.offset for m in members})
        nxt = {s: (starts[i + 1] if i + 1 < len(starts) else cd_offset) for i, s in enumerate(starts)}
        for m in members:
            m.end = nxt[m.offset]
        self.central_offset = cd_offset
        self.eocd_pos = eocd_pos
        return members, comment

    # -- content ---------------------------------------------------------------------
    def find(self, part: str) -> str | None:
        """The zip name of an OPC part (part names are case-insensitive)."""
        return self._by_lower.get(part.lstrip("/").lower())

    def has(self, part: str) -> bool:
        return self.find(part) is not None

    def read(self, part: str) -> bytes:
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        return self.zip.read(name)

    def open(self, part: str):
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        return self.zip.open(name)

    def open_fast(self, part: str):
        """Decompressing reader of a member that skips the CRC check: for reading the
        old version of a sheet massbal replaces, where a million-row Ledger is read only
        to find what follows its rows."""
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        info = self.zip.getinfo(name)
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1:
            return self.zip.open(name)
        self.fh.seek(info.header_offset)
        local = self.fh.read(30)
        n, e = struct.unpack_from("<HH", local, 26)
        start = info.header_offset + 30 + n + e
        return _RawDeflateReader(self.path, start, info.compress_size)

    def raw_region(self, m: Member) -> Iterable[bytes]:
        """The member's bytes as stored: local header, data, any data descriptor."""
        self.fh.seek(m.offset)
        left = m.end - m.offset
        while left > 0:
            chunk = self.fh.read(min(left, 1 << 22))
            if not chunk:
                raise PackageError("The workbook is truncated.")
            left -= len(chunk)
            yield chunk


class _RawDeflateReader(io.RawIOBase):
    def __init__(self, path: str, start: int, size: int):
        self.fh = open(path, "rb")
        self.fh.seek(start)
        self.left = size
        self.d = decompressor()
        self.buf = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes (fewer is allowed); b"" only at the end."""
        try:
            return self._read(n)
        except INFLATE_ERRORS as e:  # ISA-L's error is not zlib's: callers know zlib.error
            raise zlib.error(str(e)) from None

    def _read(self, n: int) -> bytes:
        if n < 0:
            parts = [self.buf]
            self.buf = b""
            while True:
                chunk = self._read(1 << 24)
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        if self.buf:
            out, self.buf = self.buf[:n], self.buf[n:]
            return out
        while True:
            if self.d.unconsumed_tail:
                data = self.d.unconsumed_tail
            elif self.left > 0:
                data = self.fh.read(min(self.left, 1 << 22))
                self.left -= len(data)
                if not data:
                    self.left = 0
                    return self.d.flush()
            else:
                return self.d.flush()
            out = self.d.decompress(data, n)
            if out:
                return out

    def close(self) -> None:
        self.fh.close()
        super().close()


def _deflate_job(compressor, lock, data: bytes, crc: int) -> tuple[bytes, int]:
    with lock:
        return compressor.compress(data), crc32(data, crc)


@dataclass
class Deflated:
    """A member's deflated bytes, made ahead into a file, with what its headers need."""
    file: BinaryIO
    crc: int
    csize: int
    usize: int


def deflate_to(fh: BinaryIO, chunks: Iterable[bytes], level: int = 6, threaded: bool = True) -> tuple[int, int, int]:
    """Deflate the chunks into fh as one raw deflate stream; (crc, compressed size, size).
    Threaded: compressing chunk k overlaps building chunk k+1 (zlib, ISA-L and pyarrow
    all release the GIL, and the machine has two cores)."""
    compressor = _compressor(level)
    lock = threading.Lock()
    crc, csize, usize = 0, 0, 0
    if not threaded:
        for chunk in chunks:
            out, crc = _deflate_job(compressor, lock, chunk, crc)
            fh.write(out)
            csize += len(out)
            usize += len(chunk)
    else:
        pending = None
        with ThreadPoolExecutor(max_workers=1) as pool:
            for chunk in chunks:
                if pending is not None:
                    out, crc = pending.result()
                    fh.write(out)
                    csize += len(out)
                usize += len(chunk)
                pending = pool.submit(_deflate_job, compressor, lock, chunk, crc)
                del chunk
            if pending is not None:
                out, crc = pending.result()
                fh.write(out)
                csize += len(out)
    tail = compressor.flush()
    fh.write(tail)
    return crc, csize + len(tail), usize


class PackageWriter:
    """Write side: raw copies of kept members, new members deflated, a new directory."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.central: list[bytes] = []
        self.names: set[str] = set()

    def _check_offset(self, offset: int) -> None:
        if offset >= _MAX32:
            raise PackageError("The workbook would grow beyond 4 GB, which massbal does not write.")

    def copy(self, pkg: Package, m: Member) -> None:
        offset = self.fh.tell()
        for chunk in pkg.raw_region(m):
            self.fh.write(chunk)
        central = bytearray(m.central)
        if m.offset_in_zip64 >= 0:
            struct.pack_into("<Q", central, m.offset_in_zip64, offset)
        else:
            self._check_offset(offset)
            struct.pack_into("<I", central, 42, offset)
        self.central.append(bytes(central))
        self.names.add(m.name.lower())

    def write(self, name: str, data: bytes, level: int = 6) -> None:
        self.write_chunks(name, [data], level, threaded=False)

    def write_chunks(self, name: str, chunks: Iterable[bytes], level: int = 6,
                     threaded: bool = True) -> None:
        """Deflate a member from chunks (deflate_to)."""
        offset, raw_name, flags = self._local_header(name)
        crc, csize, usize = deflate_to(self.fh, chunks, level, threaded)
        self._sizes(offset, raw_name, flags, crc, csize, usize)

    def write_deflated(self, name: str, deflated: Deflated) -> None:
        """A member deflated ahead (ahead.py): its bytes copied in as they are."""
        offset, raw_name, flags = self._local_header(name)
        deflated.file.seek(0)
        while piece := deflated.file.read(1 << 20):
            self.fh.write(piece)
        self._sizes(offset, raw_name, flags, deflated.crc, deflated.csize, deflated.usize)

    def _local_header(self, name: str) -> tuple[int, bytes, int]:
        """The member's local header, its sizes left zero until _sizes."""
        assert name.lower() not in self.names, name
        self.names.add(name.lower())
        raw_name = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        offset = self.fh.tell()
        self._check_offset(offset)
        time_, date_ = _DOS_DATE_1980
        self.fh.write(struct.pack("<4sHHHHHIIIHH", _LOCAL, 20, flags, 8, time_, date_, 0, 0, 0,
                                  len(raw_name), 0) + raw_name)
        return offset, raw_name, flags

    def _sizes(self, offset: int, raw_name: bytes, flags: int, crc: int, csize: int, usize: int) -> None:
        """The local header's sizes filled in, and the member's central record."""
        if csize >= _MAX32 or usize >= _MAX32:
            raise PackageError("A sheet would exceed 4 GB, which massbal does not write.")
        end = self.fh.tell()
        self.fh.seek(offset + 14)
        self.fh.write(struct.pack("<III", crc, csize, usize))
        self.fh.seek(end)
        time_, date_ = _DOS_DATE_1980
        central = struct.pack("<4sHHHHHHIIIHHHHHII", _CENTRAL, 20, 20, flags, 8, time_, date_,
                              crc, csize, usize, len(raw_name), 0, 0, 0, 0, 0, offset)
        self.central.append(central + raw_name)

    def close(self, comment: bytes = b"") -> None:
        cd_offset = self.fh.tell()
        self._check_offset(cd_offset)
        for rec in self.central:
            self.fh.write(rec)
        cd_size = self.fh.tell() - cd_offset
        count = len(self.central)
        if count >= 0xFFFF:
            raise PackageError("The workbook would hold too many parts for massbal to write.")
        self.fh.write(struct.pack("<4sHHHHIIH", _EOCD, 0, 0, count, count, cd_size, cd_offset,
                                  len(comment)) + comment)


# -- OPC helpers ----------------------------------------------------------------------

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_OFFICE_DOC = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_TABLE = NS_R + "/table"
REL_STYLES = NS_R + "/styles"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_HYPERLINK = NS_R + "/hyperlink"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          remove_blank_text=False)


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def to_xml(root: etree._Element) -> bytes:
    """Serialize a part with the declaration Excel itself writes (double quotes)."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8")


def rels_path(part: str) -> str:
    d, f = posixpath.split(part.lstrip("/"))
    return posixpath.join(d, "_rels", f + ".rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (no leading slash)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(source_part.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part.lstrip("/")) or ".")


@dataclass
class Rel:
    id: str
    type: str
    target: str
    external: bool


def read_rels(pkg: Package, part: str) -> tuple[etree._Element | None, list[Rel]]:
    path = rels_path(part)
    if not pkg.has(path):
        return None, []
    root = parse_xml(pkg.read(path))
    rels = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        ext = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        rels.append(Rel(el.get("Id"), el.get("Type", ""), target if ext else resolve(part, target), ext))
    return root, rels


def new_rels_root() -> etree._Element:
    return etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})


def add_rel(root: etree._Element, rid: str, rtype: str, target: str) -> None:
    el = etree.SubElement(root, f"{{{NS_PKG_REL}}}Relationship")
    el.set("Id", rid)
    el.set("Type", rtype)
    el.set("Target", target)


def free_rid(used: set[str]) -> str:
    i = len(used) + 1
    while f"rId{i}" in used:
        i += 1
    used.add(f"rId{i}")
    return f"rId{i}"
