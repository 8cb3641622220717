"""Safe access to the parts of an xlsx package (a zip of XML files).

Every XML part read here goes through defusedxml (no DTDs, no entity expansion, no
external references), and every read is capped, so a hostile or broken file ends in
a BookReadError with a plain reason rather than a hang, a memory blow-up or a traceback.
The zip's shape (part count, declared sizes, compression ratio) is checked on open,
before any part, ours or calamine's, is decompressed.
"""
from __future__ import annotations

import io
import posixpath
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from .errors import BookReadError

# Limits on the package's shape. A real massbal workbook of a million rows is a few
# hundred MB of XML in a few dozen parts; these leave wide room above that.
MAX_PARTS = 10_000
MAX_TOTAL_BYTES = 2 * 1024**3
# Deflate tops out near 1032:1. Real sheet XML compresses 5-50:1, but a sheet of long
# repeated strings saved by Excel reaches 250:1 (corpus: sjs_large_strings.xlsx); a
# large part above 500:1 is a bomb, not a spreadsheet.
MAX_RATIO = 500
RATIO_CHECK_MIN_BYTES = 100 * 1024**2
# Parts this module parses whole (workbook, relationships, tables) are small.
MAX_SMALL_PART_BYTES = 64 * 1024**2

_REL_NS_SUFFIX = "relationships"

# What reading a damaged part can raise: bad CRC, bad deflate data, truncated file,
# unsupported compression or encryption.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
               NotImplementedError, RuntimeError)


def local(tag: str) -> str:
    """'{namespace}name' -> 'name' (transitional and strict OOXML use different namespaces)."""
    return tag.rsplit("}", 1)[-1]


def attr(el: Element, name: str) -> str | None:
    """Attribute by local name, whatever its namespace (r:id is '{...relationships}id')."""
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if key.startswith("{") and local(key) == name:
            return value
    return None


def rel_id(el: Element) -> str | None:
    for key, value in el.attrib.items():
        if key.startswith("{") and local(key) == "id" and key[1:].split("}")[0].endswith(_REL_NS_SUFFIX):
            return value
    return None


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # the last path segment of the Type URI: 'worksheet', 'table', ...
    target: str  # resolved part name inside the zip ('' for external targets)


class Package:
    """An opened, shape-checked xlsx zip. Use as a context manager."""

    def __init__(self, path: Path, data: bytes | None = None):
        """data: the file's bytes as read once (read_once); else the file is opened."""
        self.path = path
        self.name = path.name
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
        except zipfile.BadZipFile:
            raise BookReadError(f"{self.name} is damaged: it is not a readable zip/xlsx package") from None
        except (OSError, ValueError, EOFError) as exc:
            raise BookReadError(f"{self.name} cannot be opened as a zip/xlsx package ({exc})") from None
        try:
            self._check_shape()
        except BookReadError:
            self.zip.close()
            raise
        # OPC part names are case-insensitive; zips written by odd tools vary the case.
        self._names = {info.filename.lstrip("/").casefold(): info.filename for info in self.zip.infolist()}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    # -- shape -------------------------------------------------------------------------
    def _check_shape(self) -> None:
        infos = self.zip.infolist()
        if len(infos) > MAX_PARTS:
            raise BookReadError(f"{self.name} has {len(infos):,} parts inside; refused as a "
                                f"likely zip bomb (limit {MAX_PARTS:,})")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise BookReadError(f"{self.name} is an encrypted zip, not an Excel workbook")
            total += info.file_size
            if (info.file_size >= RATIO_CHECK_MIN_BYTES
                    and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                ratio = info.file_size / max(info.compress_size, 1)
                raise BookReadError(f"{self.name}: part {info.filename} expands {ratio:,.0f} times "
                                    "(to {:,} MB); refused as a likely zip bomb".format(info.file_size >> 20))
        if total > MAX_TOTAL_BYTES:
            raise BookReadError(f"{self.name} would expand to {total >> 20:,} MB; refused as a likely "
                                f"zip bomb (limit {MAX_TOTAL_BYTES >> 20:,} MB)")

    # -- parts -------------------------------------------------------------------------
    def has(self, part: str) -> bool:
        return part.lstrip("/").casefold() in self._names

    def member(self, part: str) -> str:
        try:
            return self._names[part.lstrip("/").casefold()]
        except KeyError:
            raise BookReadError(f"{self.name} is damaged: part {part} is missing") from None

    def size(self, part: str) -> int:
        """The part's declared inflated size in bytes; 0 when it is missing."""
        return self.zip.getinfo(self.member(part)).file_size if part and self.has(part) else 0

    def open(self, part: str):
        """A stream of the part's decompressed bytes (zipfile stops at the declared size)."""
        try:
            return self.zip.open(self.member(part))
        except READ_ERRORS as exc:
            raise BookReadError(f"{self.name} is damaged: part {part} cannot be read ({exc})") from None

    def read(self, part: str, limit: int = MAX_SMALL_PART_BYTES) -> bytes:
        info = self.zip.getinfo(self.member(part))
        if info.file_size > limit:
            raise BookReadError(f"{self.name}: part {part} is {info.file_size >> 20:,} MB, "
                                "too large for its kind; refused")
        with self.open(part) as fh:
            try:
                data = fh.read(limit + 1)
            except READ_ERRORS as exc:
                raise BookReadError(f"{self.name} is damaged: part {part} cannot be read ({exc})") from None
        if len(data) > limit:
            raise BookReadError(f"{self.name}: part {part} is larger than it claims; refused")
        return data

    def xml(self, part: str, limit: int = MAX_SMALL_PART_BYTES) -> Element:
        return parse_xml(self.read(part, limit), f"{self.name}: part {part}")

    def rels(self, part: str) -> list[Relationship]:
        """Relationships of `part` ('' for the package itself), targets resolved to part names."""
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_part):
            return []
        out = []
        for el in self.xml(rels_part):
            if local(el.tag) != "Relationship":
                continue
            rtype = (el.get("Type") or "").rstrip("/").rsplit("/", 1)[-1]
            target = el.get("Target") or ""
            if (el.get("TargetMode") or "").lower() == "external":
                target = ""
            elif target.startswith("/"):
                target = posixpath.normpath(target.lstrip("/"))
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            if target.startswith(".."):
                target = ""  # points outside the package: ignore, never follow
            out.append(Relationship(el.get("Id") or "", rtype, target))
        return out


# t="e" in a cell's start tag (text content cannot hold a raw '<c ', so only tags match).
_ERROR_TYPE = re.compile(rb"""(<(?:[A-Za-z_][\w.-]*:)?c\s(?:[^>]*?\s)?)t=(["'])e\2""")


def copy_with_error_cells_as_text(pkg: Package, part: str, dst: Path) -> None:
    """Copy the package to `dst` with every error cell of `part` marked as a text cell.

    calamine refuses a whole sheet over one error value it does not know (#SPILL!,
    #CALC!, #BUSY! ... from newer Excel). Marked t="str" instead of t="e", each such
    cell reads as its own text ('#SPILL!'), which is how the reader hands errors over
    anyway. Streams the part, so a huge sheet costs time, not memory.
    """
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
        for info in pkg.zip.infolist():
            if info.filename.lstrip("/").casefold() != part.casefold():
                with pkg.zip.open(info) as src, out.open(info.filename, "w", force_zip64=True) as sink:
                    shutil.copyfileobj(src, sink, 1 << 20)
                continue
            with pkg.open(part) as src, out.open(info.filename, "w", force_zip64=True) as sink:
                carry = b""
                while True:
                    try:
                        chunk = src.read(1 << 22)
                    except READ_ERRORS as exc:
                        raise BookReadError(f"{pkg.name} is damaged: part {part} cannot be read "
                                            f"({exc})") from None
                    data = carry + chunk
                    # Cut before the last tag's '<': an attribute never straddles the cut.
                    cut = len(data) if not chunk else max(data.rfind(b"<"), 0)
                    sink.write(_ERROR_TYPE.sub(rb'\1t="str"', data[:cut]))
                    carry = data[cut:]
                    if not chunk:
                        break


def parse_xml(data: bytes, what: str) -> Element:
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise BookReadError(f"{what} declares a DTD or entities; refused for safety") from None
    except (ParseError, ValueError, UnicodeDecodeError):
        raise BookReadError(f"{what} is not readable XML (the file is damaged)") from None


