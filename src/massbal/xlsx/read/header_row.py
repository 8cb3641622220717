"""Find a plain sheet's header row by reading only the top of its XML.

calamine parses a whole sheet on every load, which for a million rows takes seconds;
the column types it is asked for depend on the headers, so the headers are read here
first, from the first kilobytes of the sheet and of the shared-strings part, without
parsing the rest of either.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from massbal.xlref import column_number
from massbal.xlref import unescape as unescape_ooxml

from .errors import BookReadError
from .package import READ_ERRORS, Package, local, parse_xml

_CHUNK = 64 * 1024
_COL = re.compile(r"^\$?([A-Za-z]{1,3})")


@dataclass(frozen=True)
class RawCell:
    col: int  # 1-based
    type: str  # the cell's t attribute: n, s, str, inlineStr, b, e, d
    value: str  # <v> text, or the inline string's text
    style: int = 0  # the cell's s attribute: its index into styles.xml's cellXfs


@dataclass(frozen=True)
class HeaderRow:
    row: int  # 1-based worksheet row
    first_col: int
    last_col: int
    headers: tuple[str, ...]  # one per column first_col..last_col, '' where blank


class _RowCollector:
    """ElementTree parser target that turns <row>/<c> events into RawCell lists."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[RawCell]]] = []
        self.done = False
        self._row = 0
        self._cells: list[RawCell] | None = None
        self._col = 0
        self._cell: tuple[int, str, str] | None = None
        self._text: list[str] = []
        self._in_v = self._in_is = self._in_t = False
        self._in_rph = 0

    def start(self, tag: str, attrib: dict) -> None:
        name = local(tag)
        if name == "row":
            r = attrib.get("r", "")
            self._row = int(r) if r.isdigit() else self._row + 1
            self._cells, self._col = [], 0
        elif name == "c" and self._cells is not None:
            m = _COL.match(attrib.get("r", ""))
            if m:
                col = column_number(m.group(1))
            else:  # r is optional: cells then follow one another
                col = self._col + 1
            self._col = col
            self._cell, self._text = (col, attrib.get("t", "n"), attrib.get("s", "0")), []
        elif self._cell is None:
            return
        elif name == "v":
            self._in_v = True
        elif name == "is":
            self._in_is = True
        elif name == "rPh":  # phonetic guide text is not part of the cell's value
            self._in_rph += 1
        elif name == "t" and self._in_is and not self._in_rph:
            self._in_t = True

    def data(self, text: str) -> None:
        if self._in_v or self._in_t:
            self._text.append(text)

    def end(self, tag: str) -> None:
        name = local(tag)
        if name == "v":
            self._in_v = False
        elif name == "t":
            self._in_t = False
        elif name == "rPh":
            self._in_rph -= 1
        elif name == "is":
            self._in_is = False
        elif name == "c" and self._cell is not None and self._cells is not None:
            col, ctype, style = self._cell
            self._cells.append(RawCell(col, ctype, "".join(self._text), int(style) if style.isdigit() else 0))
            self._cell = None
        elif name == "row" and self._cells is not None:
            self.rows.append((self._row, self._cells))
            self._cells = None
        elif name == "sheetData":
            self.done = True

    def close(self) -> None:
        return None


def iter_rows(pkg: Package, part: str) -> Iterator[tuple[int, list[RawCell]]]:
    """Rows of a worksheet part from the top, parsed only as far as the caller reads."""
    target = _RowCollector()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    with pkg.open(part) as fh:
        while True:
            try:
                chunk = fh.read(_CHUNK)
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()  # raises on a part cut short (unclosed elements)
            except DefusedXmlException:
                raise BookReadError(f"{pkg.name}: part {part} declares a DTD or entities; "
                                    "refused for safety") from None
            except ParseError:
                raise BookReadError(f"{pkg.name}: part {part} is not readable XML (the file is "
                                    "damaged)") from None
            except READ_ERRORS as exc:
                raise BookReadError(f"{pkg.name} is damaged: part {part} cannot be read ({exc})") from None
            yield from target.rows
            target.rows.clear()
            if target.done or not chunk:
                return


def find_header_row(pkg: Package, part: str, strings: SharedStrings) -> HeaderRow | None:
    """The sheet's first row holding a non-blank value, with each cell's text as typed."""
    for row, cells in iter_rows(pkg, part):
        wanted = {int(c.value) for c in cells if c.type == "s" and c.value.strip().isdigit()}
        table = strings.lookup(wanted) if wanted else {}
        texts = {c.col: cell_text(c, table) for c in cells}
        texts = {col: t for col, t in texts.items() if t.strip()}
        if texts:
            first, last = min(texts), max(texts)
            return HeaderRow(row, first, last, tuple(texts.get(c, "") for c in range(first, last + 1)))
    return None


def cell_text(cell: RawCell, strings: dict[int, str]) -> str:
    if cell.type == "s":
        try:
            return strings.get(int(cell.value), "")
        except ValueError:
            return ""
    if cell.type == "b":
        return {"1": "TRUE", "0": "FALSE"}.get(cell.value.strip(), cell.value)
    if cell.type == "n" and cell.value:
        try:
            x = float(cell.value)
        except ValueError:
            return cell.value
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    return unescape_ooxml(cell.value)


_SI_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")
_PREFIXED_SI = re.compile(rb"<[A-Za-z_][\w.-]*:si(?=[\s/>])")
_SI_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?si\s*>")
_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:")
_PREFIXED_ATTR = re.compile(rb"\s(?:xmlns:)?[A-Za-z_][\w.-]*:[\w.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_XMLNS = re.compile(rb"\sxmlns\s*=\s*(?:\"[^\"]*\"|'[^']*')")


class SharedStrings:
    """Entries of the shared-strings table by index, found by scanning, not parsing, the part.

    Only the <si> entries asked for are parsed; the rest are counted by a regex over
    the decompressed bytes, so a header cell pointing at entry 900,000 costs one pass
    of decompression, not a million XML callbacks.
    """

    def __init__(self, pkg: Package, part: str):
        self.pkg, self.part = pkg, part
        self._cache: dict[int, str] = {}

    def lookup(self, wanted: set[int]) -> dict[int, str]:
        missing = {i for i in wanted if i not in self._cache}
        if missing and self.part:
            self._cache.update(self._scan(missing))
        return {i: self._cache.get(i, "") for i in wanted}

    def _scan(self, wanted: set[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        last_wanted = max(wanted)
        index = -1  # index of the last <si> counted
        buf, eof = b"", False
        with self.pkg.open(self.part) as fh:
            while index < last_wanted and not (eof and not buf):
                if not eof:
                    try:
                        chunk = fh.read(1 << 20)
                    except READ_ERRORS as exc:
                        raise BookReadError(f"{self.pkg.name} is damaged: part {self.part} cannot "
                                            f"be read ({exc})") from None
                    eof = not chunk
                    buf += chunk
                # Work up to the last '<' only: a tag cut at the chunk's end waits for the next.
                cut = len(buf) if eof else buf.rfind(b"<")
                if cut < 0:
                    buf = b""
                    continue
                if cut == 0:
                    continue
                head = buf[:cut]
                next_wanted = min(i for i in wanted if i > index)
                count = _count_si(head)
                if index + count < next_wanted:  # nothing wanted here: count, do not parse
                    index += count
                    buf = buf[cut:] if not eof else b""
                    continue
                keep_from = cut
                for m in _SI_START.finditer(head):
                    if index + 1 in wanted:
                        end = _si_end(buf, m.start())
                        if end is None and not eof:
                            keep_from = m.start()  # the entry runs on: read more first
                            break
                        found[index + 1] = self._text(buf[m.start(): end or len(buf)])
                    index += 1
                    if index >= last_wanted:
                        break
                buf = buf[keep_from:] if not (eof and keep_from == cut) else b""
        return found

    def _text(self, fragment: bytes) -> str:
        cleaned = _XMLNS.sub(b"", _PREFIXED_ATTR.sub(b"", _PREFIX.sub(rb"<\1", fragment)))
        root = parse_xml(cleaned, f"{self.pkg.name}: part {self.part}")
        parts: list[str] = []

        def walk(el, in_rph: bool) -> None:
            name = local(el.tag)
            in_rph = in_rph or name == "rPh"
            if name == "t" and not in_rph and el.text:
                parts.append(el.text)
            for child in el:
                walk(child, in_rph)

        walk(root, False)
        return unescape_ooxml("".join(parts))


def _count_si(head: bytes) -> int:
    # Of the shared-strings elements only <si> starts with "si", so a plain count is
    # exact; namespace-prefixed tags (<x:si>), rare, need the regex.
    count = head.count(b"<si")
    if b":si" in head:
        count += len(_PREFIXED_SI.findall(head))
    return count


def _si_end(buf: bytes, start: int) -> int | None:
    gt = buf.find(b">", start)
    if gt < 0:
        return None
    if buf[gt - 1:gt] == b"/":
        return gt + 1
    m = _SI_CLOSE.search(buf, gt)
    return m.end() if m else None
