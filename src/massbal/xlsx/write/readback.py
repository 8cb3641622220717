"""Read back the sheet massbal wrote last time, as the user left it.

Before a sheet is replaced, everything in it that is the user's is collected: the cells
of the note columns and of columns the user added to the table, cells typed outside the
table, and the sheet's own settings (print setup, column widths, freeze panes, drawings,
comments, validations, conditional formats, protection, tab colour, VBA code name).
The sheet may have been saved by Excel, LibreOffice or openpyxl since massbal wrote it,
so shared strings, inline strings and formulas are all understood.

Over 500 lines: the fast path (only the rows that can hold the user's cells) and the full
read it falls back to must stay side by side, so that they read alike; the next split is
the finding of the rows' bytes (_split, _ReadAhead, _find_end) into its own module.
"""
from __future__ import annotations

import bisect
import io
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lxml import etree

from massbal.xlref import column_letter, parse_range
from massbal.xlref import column_number as col_index  # noqa: F401  (callers' name)
from massbal.xlref import parse_cell as parse_ref  # noqa: F401
from massbal.xlref import unescape as unescape_name
from massbal.xlsx.write.zip_copy import NS_MAIN, REL_TABLE, Package, Rel, parse_xml, read_rels

M = f"{{{NS_MAIN}}}"
_ROW = M + "row"
_C = M + "c"
_LETTERS = re.compile(r"\$?([A-Z]+)")



class DamagedPart(Exception):
    """A part of the workbook cannot be read as XML."""


@dataclass(frozen=True)
class OldCell:
    """One cell as found: value (str, float, bool or None), type ('s' text, 'n' number,
    'b' boolean, 'e' error), style index and formula text."""
    value: object
    type: str = "s"
    style: int | None = None
    formula: str | None = None

    @property
    def empty(self) -> bool:
        return self.formula is None and (self.value is None or self.value == "")


@dataclass
class OldTable:
    part: str
    rid: str
    id: int
    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int
    totals_rows: int
    columns: list[str]
    column_els: list[etree._Element]
    root: etree._Element

    @property
    def data_rows(self) -> tuple[int, int]:
        return self.first_row + self.header_rows, self.last_row - self.totals_rows

    def calc_formula(self, name: str) -> str | None:
        el = self.column_els[self.columns.index(name)]
        f = el.find(M + "calculatedColumnFormula")
        return f.text if f is not None and f.text else None


@dataclass
class Carried:
    """A child element of <worksheet> other than sheetData, kept as serialized XML."""
    name: str
    xml: bytes
    after: str  # the schema-known element it followed (for mc:AlternateContent etc.)
    el: etree._Element


@dataclass
class OldSheet:
    part: str
    root: etree._Element                  # the sheet without sheetData
    children: list[Carried]
    rels_root: etree._Element | None
    rels: list[Rel]
    tables: list[OldTable]
    dimension: tuple[int, int, int, int] | None
    own: OldTable | None = None
    cells_read: bool = False
    # the table's cells (data rows only), by table column position -> {row offset: cell}
    table_cells: dict[int, dict[int, OldCell]] = field(default_factory=dict)
    header: dict[int, str] = field(default_factory=dict)   # sheet column -> header text
    # cells outside the table: row -> [(col, serialized <c>)], and those rows' attributes
    outside: dict[int, list[tuple[int, bytes, OldCell]]] = field(default_factory=dict)
    outside_row_attrs: dict[int, dict[str, str]] = field(default_factory=dict)
    has_formulas: bool = False


_SHEETDATA_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetData\b")
_SHEETDATA_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?sheetData\s*>")
_ROOT_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?worksheet\b[^>]*>")
_ROOT_END = re.compile(rb"</((?:[A-Za-z_][\w.\-]*:)?)worksheet\s*>\s*$")


def _split(stream, want_middle: Callable[[bytes], bool]) -> tuple[bytes, bytes | None, bytes]:
    """Split sheet XML into (head, sheetData or None, tail) without holding the rows
    unless `want_middle(head)` says they are needed (a million-row Ledger is skipped)."""
    buf = b""
    while True:
        chunk = stream.read(1 << 20)
        buf += chunk
        m = _SHEETDATA_START.search(buf)
        if m or not chunk:
            break
    if not m:
        return buf, None, b""
    head = buf[:m.start()]
    keep = want_middle(head)
    close = buf.find(b">", m.end())
    while close < 0:
        chunk = stream.read(1 << 20)
        if not chunk:
            raise DamagedPart("sheet XML ends inside <sheetData>")
        buf += chunk
        close = buf.find(b">", m.end())
    if buf[close - 1:close] == b"/":
        return head, (buf[m.start():close + 1] if keep else None), buf[close + 1:] + stream.read()
    with _ReadAhead(stream) as ahead:
        return (head, *_rows_and_tail(ahead, buf[m.start():], keep))


def _rows_and_tail(ahead: _ReadAhead, window: bytes, keep: bool) -> tuple[bytes | None, bytes]:
    """From the start of <sheetData> in `window`: (sheetData when kept, the rest)."""
    parts = [window] if keep else []
    while True:
        e = _find_end(window)
        if e is not None:
            if keep:
                joined = b"".join(parts)
                # the end tag lies in the last len(window) bytes of joined
                base = len(joined) - len(window)
                middle = joined[:base + e]
            else:
                middle = None
            return middle, window[e:] + ahead.rest()
        tail = window[-64:]
        while True:
            chunk = ahead.read()
            if not chunk:
                raise DamagedPart("sheet XML ends inside <sheetData>")
            if keep:
                parts.append(chunk)
            # the next window (tail + chunk) is made only when "sheetData" is in it: a
            # million-row Ledger's 600 MB are searched once, not copied again
            if b"sheetData" in chunk or b"sheetData" in tail + chunk[:8]:
                break
            tail = (tail + chunk[-64:])[-64:]
        window = tail + chunk


class _ReadAhead:
    """stream.read(4 MB) calls, on two cores or more each next one made by a worker thread
    while the caller searches this one (inflating runs off the GIL): a million-row
    Ledger's 600 MB are skipped in about the time of the slower of the two, not both.
    Not held back on a busy machine (unlike the rows' XML): the worker only reads ahead,
    the caller never waits for more than the read it would have made itself."""

    def __init__(self, stream):
        self.stream = stream
        self.pool: ThreadPoolExecutor | None = None   # made at the first read: most sheets end before
        self.next = None

    def read(self) -> bytes:
        if self.next is None:
            chunk = self.stream.read(1 << 22)
            if self.pool is None and chunk and (os.cpu_count() or 1) > 1:
                self.pool = ThreadPoolExecutor(max_workers=1)
        else:
            chunk = self.next.result()
        if chunk and self.pool is not None:
            self.next = self.pool.submit(self.stream.read, 1 << 22)
        return chunk

    def rest(self) -> bytes:
        """Everything not read yet."""
        first = self.next.result() if self.next is not None else b""
        return first + self.stream.read()

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:   # waits for a read under way: the stream is closed after
            self.pool.shutdown(wait=True, cancel_futures=True)


def _find_end(window: bytes) -> int | None:
    """End offset of the </sheetData> tag in window, if there (bytes.find is much faster
    than a regular expression over a million rows of XML)."""
    at = window.find(b"sheetData")
    while at >= 0:
        m = _SHEETDATA_END.match(window, max(0, window.rfind(b"</", 0, at)))
        if m and m.end() > at:
            return m.end()
        at = window.find(b"sheetData", at + 9)
    return None


def read_shared_strings(pkg: Package, part: str | None) -> list[str]:
    if part is None:
        return []
    out = []
    with pkg.open(part) as fh:
        for _, si in etree.iterparse(fh, events=("end",), tag=M + "si", huge_tree=True,
                                     resolve_entities=False, no_network=True):
            out.append(_rich_text(si))
            si.clear()
    return out


def _rich_text(el: etree._Element) -> str:
    """Text of <si> or <is>: plain <t> or rich-text runs, without phonetic hints."""
    parts = []
    for k in el:
        if k.tag == M + "t":
            parts.append(k.text or "")
        elif k.tag == M + "r":
            t = k.find(M + "t")
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)


def read_cell(c: etree._Element, strings: Callable[[int], str]) -> OldCell:
    t = c.get("t", "n")
    s = c.get("s")
    style = int(s) if s and s.isdigit() else None
    f = c.find(M + "f")
    formula = f.text if f is not None and f.text else None
    v = c.find(M + "v")
    vt = v.text if v is not None else None
    if t == "s":
        try:
            value, typ = strings(int(vt)), "s"
        except (TypeError, ValueError, IndexError):
            value, typ = None, "s"
    elif t == "inlineStr":
        is_ = c.find(M + "is")
        value, typ = (_rich_text(is_) if is_ is not None else None), "s"
    elif t in ("str", "d"):
        value, typ = vt, "s"
    elif t == "b":
        value, typ = (vt == "1") if vt is not None else None, "b"
    elif t == "e":
        value, typ = vt, "e"
    else:
        try:
            value, typ = (float(vt) if vt not in (None, "") else None), "n"
        except ValueError:
            value, typ = vt, "s"
    return OldCell(value, typ, style, formula)


def _table(pkg: Package, rel: Rel) -> OldTable | None:
    part = pkg.find(rel.target)
    if part is None:
        return None
    root = parse_xml(pkg.read(part))
    try:
        r1, c1, r2, c2 = parse_range(root.get("ref", ""))
    except ValueError:
        return None
    cols_el = root.find(M + "tableColumns")
    els = [] if cols_el is None else cols_el.findall(M + "tableColumn")
    return OldTable(part, rel.id, int(root.get("id", "0") or 0),
                    root.get("displayName") or root.get("name") or "", r1, c1, r2, c2,
                    int(root.get("headerRowCount", "1")), int(root.get("totalsRowCount", "0")),
                    [unescape_name(e.get("name", "")) for e in els], els, root)


WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
)


def sheet_tables(pkg: Package, part: str) -> list[OldTable]:
    _, rels = read_rels(pkg, part)
    return [t for t in (_table(pkg, r) for r in rels if r.type == REL_TABLE and not r.external) if t]


def pick_table(tables: list[OldTable], headers) -> OldTable | None:
    """The table among a sheet's tables that has the most of these column names."""
    want = {h.lower() for h in headers}
    best, score = None, 0
    for t in tables:
        n = len(want & {c.lower() for c in t.columns})
        if n > score:
            best, score = t, n
    return best


def read_sheet_shell(pkg: Package, part: str, want_cells: Callable[[dict, list[OldTable]], bool]
                     ) -> tuple[OldSheet, bytes | None, bytes]:
    """The sheet without its rows; the rows' XML only when want_cells(shell root, tables)."""
    rels_root, rels = read_rels(pkg, part)
    tables = [t for t in (_table(pkg, r) for r in rels if r.type == REL_TABLE and not r.external) if t]
    state = {}

    def decide(head: bytes) -> bool:
        m = re.search(rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\b[^>]*\bref=\"([^\"]+)\"", head)
        state["dimension"] = m.group(1).decode() if m else None
        return want_cells(state, tables)

    with pkg.open_fast(part) as fh:
        head, middle, tail = _split(fh, decide)
    root = parse_xml(head + tail)
    dim = None
    if state.get("dimension"):
        try:
            dim = parse_range(state["dimension"])
        except ValueError:
            dim = None
    children, last = [], "sheetPr"
    for el in root:
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name in WORKSHEET_ORDER:
            last = name
        children.append(Carried(name, etree.tostring(el, with_tail=False), last, el))
    sheet = OldSheet(part, root, children, rels_root, rels, tables, dim)
    rs = _ROOT_START.search(head)
    return sheet, middle, (rs.group(0) if rs else b"")


def read_cells(sheet: OldSheet, middle: bytes, root_start: bytes,
               region: tuple[int, int, int, int], wanted: set[int] | None,
               strings: Callable[[int], str], keys: set[int] | None = None) -> None:
    """Collect cells from the rows: inside `region` (the table, header row included) only
    the wanted sheet columns (None: all); every cell outside it, serialized as found.

    keys: wanted columns needed only when another wanted column has a cell in the table
    (a note's row key): a table without notes is then not read row by row."""
    close = b"</" + _root_prefix(root_start) + b"worksheet>"
    rows = None
    if keys and wanted is not None and wanted - keys:
        rows, noted = _rows_that_matter(middle, region, wanted - keys)
        if noted:
            rows = None   # a note in the table: every row's key is read
    if rows is None:
        rows, _ = _rows_that_matter(middle, region, wanted)
    doc = root_start + (middle if rows is None else rows) + close
    _scan_rows(sheet, doc, region, wanted, strings)


_PREFIX = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)sheetData\b[^>]*>")


def _rows_that_matter(middle: bytes, region, wanted: set[int] | None) -> tuple[bytes | None, bool]:
    """<sheetData> with only the rows that can hold something of the user's: the header
    row, rows above and below the table, and rows with a cell in a wanted column or beside
    the table. A million-row sheet's other rows are never parsed cell by cell. None: read
    every row (cells or rows without their r="..." first, or every column wanted). The
    flag: a wanted column has a cell in the table's data rows."""
    r1, c1, r2, c2 = region
    m = _PREFIX.match(middle)
    if wanted is None or r2 < r1 or m is None or middle[m.end() - 2:m.end()] == b"/>":
        return None, True
    p = re.escape(m.group(1))
    # every <row> and <c> once, with its number or column letters when r="..." comes first
    # (empty when not): one pass over the rows' bytes for each, not two
    row_at = [(x.start(), x.group(1)) for x in re.finditer(rb"<" + p + rb'row(?: r="(\d+)"|[\s>/])', middle)]
    if not row_at or any(r is None for _, r in row_at):
        return None, True
    row_at = [(at, int(r)) for at, r in row_at]
    spans = _spans_that_matter(middle, p, row_at, region, wanted)
    cell_letters = re.compile(rb"<" + p + rb'c(?: r="\$?([A-Z]+)\d|[\s>/])')
    letters = {x for a, b in spans for x in cell_letters.findall(middle, a, b)}
    if b"" in letters:
        return None, True
    odd = [x for x in letters if col_index(x.decode()) in wanted or not c1 <= col_index(x.decode()) <= c2]
    keep = {i for i, (_, r) in enumerate(row_at) if r <= r1 or r > r2}
    noted = False
    if odd:
        starts = [at for at, _ in row_at]
        alt = b"|".join(sorted(odd, key=len, reverse=True))
        odd_cell = re.compile(rb"<" + p + rb'c r="\$?(' + alt + rb")\d")
        for x in (x for a, b in spans for x in odd_cell.finditer(middle, a, b)):
            i = bisect.bisect_right(starts, x.start()) - 1
            keep.add(i)
            noted = noted or (i >= 0 and r1 < row_at[i][1] <= r2 and col_index(x.group(1).decode()) in wanted)
        if -1 in keep:  # a cell before the first row: not a sheet to take apart by bytes
            return None, True
    end = middle.rfind(b"</" + m.group(1) + b"sheetData")
    bounds = [at for at, _ in row_at] + [end]
    picked = [middle[bounds[i]:bounds[i + 1]] for i in sorted(keep)]
    return middle[:row_at[0][0]] + b"".join(picked) + middle[end:], noted


def _spans_that_matter(middle: bytes, p: bytes, row_at: list[tuple[int, int]], region,
                       wanted: set[int]) -> list[tuple[int, int]]:
    """The byte spans of <sheetData> whose cells' letters can matter: all of it, or, when
    the rows are in order and the table's data rows hold cells of its unwanted columns
    only (r="..." first), just the rows above and below them. That is the usual sheet: one
    search that finds nothing answers it, instead of listing a million cells' letters."""
    whole = [(0, len(middle))]
    r1, c1, r2, c2 = region
    rows = [r for _, r in row_at]
    plain = [column_letter(c).encode() for c in range(c1, c2 + 1) if c not in wanted]
    if not plain or any(x >= y for x, y in zip(rows[:-1], rows[1:], strict=True)):
        return whole
    i, j = bisect.bisect_right(rows, r1), bisect.bisect_right(rows, r2)
    a = row_at[i][0] if i < len(rows) else len(middle)
    b = row_at[j][0] if j < len(rows) else len(middle)
    other = re.compile(rb"<" + p + rb'c(?=[\s>/])(?! r="\$?(?:' + b"|".join(plain) + rb")\d)")
    if other.search(middle, a, b) is not None:
        return whole
    return [(0, a), (b, len(middle))]


def _scan_rows(sheet: OldSheet, doc: bytes, region, wanted: set[int] | None,
               strings: Callable[[int], str]) -> None:
    r1, c1, r2, c2 = region
    cells: dict[int, dict[int, OldCell]] = {}
    rnum = 0
    for _, row in etree.iterparse(io.BytesIO(doc), events=("end",), tag=_ROW, huge_tree=True,
                                  resolve_entities=False, no_network=True):
        rtext = row.get("r")
        rnum = int(rtext) if rtext else rnum + 1
        col = 0
        in_rows = r1 <= rnum <= r2
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            if ref:
                m = _LETTERS.match(ref)
                col = col_index(m.group(1)) if m else col + 1
            else:
                col += 1
            inside = in_rows and c1 <= col <= c2
            if inside:
                if rnum == r1:
                    sheet.header[col] = str(read_cell(c, strings).value or "")
                elif wanted is None or col in wanted:
                    cell = read_cell(c, strings)
                    if cell.formula:
                        sheet.has_formulas = True
                    if not cell.empty:
                        cells.setdefault(col, {})[rnum] = cell
            else:
                cell = read_cell(c, strings)
                if cell.formula:
                    sheet.has_formulas = True
                if c.find(M + "v") is None and c.find(M + "f") is None and c.find(M + "is") is None \
                        and c.get("s") in (None, "0"):
                    continue  # an empty unformatted cell holds nothing of the user's
                if not ref:
                    c.set("r", column_letter(col) + str(rnum))
                sheet.outside.setdefault(rnum, []).append((col, etree.tostring(c, with_tail=False), cell))
        if rnum in sheet.outside or not in_rows:
            attrs = {k: v for k, v in row.attrib.items() if k not in ("r", "spans")}
            if attrs or rnum in sheet.outside:
                sheet.outside_row_attrs[rnum] = attrs
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
    sheet.table_cells = cells
    sheet.cells_read = True


def _root_prefix(root_start: bytes) -> bytes:
    m = re.match(rb"<((?:[A-Za-z_][\w.\-]*:)?)worksheet", root_start)
    return m.group(1) if m else b""



def adopt_range(sheet: OldSheet, headers) -> None:
    """massbal's table was turned into a plain range (Table Design > Convert to Range):
    take the block under the header row that holds massbal's headers as the old table,
    so the notes in it are carried by key instead of orphaned cell by cell."""
    want = set(headers)
    for rnum in sorted(sheet.outside)[:50]:
        cells = {col: cell for col, _, cell in sheet.outside[rnum]}
        texts = {col: str(c.value) for col, c in cells.items() if c.type == "s" and c.value}
        if not want <= set(texts.values()):
            continue
        c1 = min(col for col, t in texts.items() if t in want)
        c2 = c1
        while c2 + 1 in texts:
            c2 += 1
        if c2 - c1 + 1 < len(want):
            continue
        names = [texts[c] for c in range(c1, c2 + 1)]
        r2 = rnum
        while any(c1 <= col <= c2 for col, _, _ in sheet.outside.get(r2 + 1, [])):
            r2 += 1
        r2 = max(r2, rnum + 1)
        els = []
        for n in names:
            el = etree.Element(M + "tableColumn")
            el.set("name", n)
            els.append(el)
        sheet.own = OldTable("", "", 0, "", rnum, c1, r2, c2, 1, 0, names, els, None)
        for r in range(rnum, r2 + 1):
            keep = []
            for col, xml, cell in sheet.outside.get(r, []):
                if c1 <= col <= c2:
                    if r > rnum and not cell.empty:
                        sheet.table_cells.setdefault(col, {})[r] = cell
                else:
                    keep.append((col, xml, cell))
            if keep:
                sheet.outside[r] = keep
            else:
                sheet.outside.pop(r, None)
                sheet.outside_row_attrs.pop(r, None)
        return
