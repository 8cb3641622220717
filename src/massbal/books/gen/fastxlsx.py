"""A fast writer for large generated books: each table an Excel Table on its own sheet.

Why not XlsxWriter here: measured on this machine, XlsxWriter takes about 8 microseconds
per cell in either mode (about 60 s and 2.5 GB for a million 7-column rows), and its
add_table() is refused in constant_memory mode and walks every cell of the range
otherwise. The benchmark needs a million rows in well under a minute, so this module
writes the package itself, whole columns at a time: each cell is a handful of string
pieces laid into one array and joined once per chunk of rows. Text goes through one
shared-string table, dates are serial numbers with a date format, as Excel saves them.

The demo and small books use XlsxWriter (template.write_input_book), which adds the
instructions, validations and notes; tests check both writers give the same cells.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from massbal.xlref import EPOCH_1900, column_letter

CHUNK_ROWS = 50_000
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
EXCEL_EPOCH = pd.Timestamp(EPOCH_1900)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STYLE_DATE, _STYLE_HEAD = 1, 2


_BLANK, _NUM, _DATE, _STR = 0, 1, 2, 3


def _as_text(values: np.ndarray) -> np.ndarray:
    """Numbers as the shortest text that reads back exactly, as an object array.

    Each distinct value is formatted once: a million quantities have far fewer values.
    """
    codes, uniq = pd.factorize(values)
    if len(uniq) and np.all(uniq == np.round(uniq)) and np.all(np.abs(uniq) < 2 ** 53):
        txt = uniq.astype(np.int64).astype(str)
    else:
        txt = np.asarray(uniq, dtype=float).astype(str)
    return txt.astype(object)[codes]


class _Column:
    """One column as cell pieces: a kind per cell (blank, number, date, text) and its <v> text."""

    def __init__(self, values: pd.Series):
        s = values.reset_index(drop=True)
        n = len(s)
        self.kind = np.zeros(n, dtype=np.int8)
        self.text = np.full(n, "", dtype=object)
        self.strings: np.ndarray = np.array([], dtype=object)  # text cells, numbered later
        self.str_pos = np.array([], dtype=np.int64)
        if pd.api.types.is_datetime64_any_dtype(s):
            self._dates(s, s.notna().to_numpy())
            return
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            self._numbers(s.to_numpy(dtype=float), np.ones(n, dtype=bool))
            return
        if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
            is_str = s.notna().to_numpy()
            self.kind[is_str] = _STR
            self.str_pos = np.flatnonzero(is_str)
            self.strings = s.to_numpy(dtype=object)[self.str_pos]
            return
        else:  # mixed: text typed into a number column, dates, numbers
            is_str = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            is_date = s.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64))).to_numpy(dtype=bool)
            if is_date.any():
                self._dates(pd.to_datetime(s.where(is_date)), is_date)
            rest = ~is_str & ~is_date
            self._numbers(pd.to_numeric(s.where(rest), errors="coerce").to_numpy(dtype=float), rest)
        self.kind[is_str] = _STR
        self.str_pos = np.flatnonzero(is_str)
        self.strings = s.to_numpy(dtype=object)[self.str_pos]

    def _dates(self, s: pd.Series, ok: np.ndarray) -> None:
        days = (s[ok] - EXCEL_EPOCH).dt.days.to_numpy(dtype=float)
        self.kind[ok] = _DATE
        self.text[ok] = _as_text(days)

    def _numbers(self, x: np.ndarray, where: np.ndarray) -> None:
        ok = where & np.isfinite(x)
        if ok.any():
            self.kind[ok] = _NUM
            self.text[ok] = _as_text(x[ok])


def write_tables(path: str | Path, tables: Mapping[str, pd.DataFrame], *, compresslevel: int = 1,
                 widths: Mapping[str, float] | None = None) -> Path:
    """Write each DataFrame as a sheet holding an Excel Table of the same name.

    Columns keep their order; NaN and None are blank cells; datetime64 columns are dates;
    a column of objects may mix numbers and text (a mistake as typed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(tables)
    cols = {name: [_Column(tables[name][c]) for c in tables[name].columns] for name in names}
    # one shared-string table for every header and text cell, numbered in one pass
    headers = [np.array([str(c) for c in tables[n].columns], dtype=object) for n in names]
    texts = [c.strings for n in names for c in cols[n]]
    codes, uniq = pd.factorize(np.concatenate(headers + texts))
    code_text = np.arange(len(uniq)).astype(str).astype(object)
    at = sum(len(h) for h in headers)
    for c in (c for n in names for c in cols[n]):
        c.text[c.str_pos] = code_text[codes[at:at + len(c.strings)]]
        at += len(c.strings)
    head_code = {str(h): int(k) for h, k in zip(np.concatenate(headers), codes[:sum(len(h) for h in headers)], strict=True)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        def put(name: str, text: str) -> None:
            zf.writestr(_info(name, compresslevel), text.encode("utf-8"))

        put("[Content_Types].xml", _content_types(len(names)))
        put("_rels/.rels", _root_rels())
        put("docProps/core.xml", _core())
        put("docProps/app.xml", _app())
        put("xl/workbook.xml", _workbook(names))
        put("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        put("xl/styles.xml", _STYLES)
        for k, n in enumerate(names, start=1):
            frame = tables[n]
            with zf.open(_info(f"xl/worksheets/sheet{k}.xml", compresslevel), "w") as f:
                _write_sheet(f, frame, cols[n], head_code, first=k == 1, widths=widths)
            put(f"xl/worksheets/_rels/sheet{k}.xml.rels", _sheet_rels(k))
            put(f"xl/tables/table{k}.xml", _table(k, n, list(frame.columns), max(len(frame), 1)))
        with zf.open(_info("xl/sharedStrings.xml", compresslevel), "w") as f:
            _write_sst(f, uniq, len(codes))
    return path


def _info(name: str, level: int = 1) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, ZIP_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    # a ZipInfo carries its own level (else zlib's default 6, three times slower here);
    # the attribute lost its underscore in Python 3.13
    setattr(zi, "compress_level" if hasattr(zi, "compress_level") else "_compresslevel", level)
    return zi


def _write_sheet(f, frame: pd.DataFrame, cols: list[_Column], head_code: dict[str, int], *,
                 first: bool, widths: Mapping[str, float] | None) -> None:
    n, m = len(frame), len(frame.columns)
    last = f"{column_letter(m)}{max(n, 1) + 1}"
    selected = ' tabSelected="1"' if first else ""
    head = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
            f'<dimension ref="A1:{last}"/>',
            f'<sheetViews><sheetView workbookViewId="0"{selected}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
            '<sheetFormatPr defaultRowHeight="15"/><cols>']
    for j, name in enumerate(frame.columns, start=1):
        w = (widths or {}).get(str(name), max(10.0, min(40.0, len(str(name)) + 6.0)))
        head.append(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>')
    head.append("</cols><sheetData>")
    header = "".join(f'<c r="{column_letter(j)}1" t="s" s="{_STYLE_HEAD}"><v>{head_code[str(c)]}</v></c>'
                     for j, c in enumerate(frame.columns, start=1))
    head.append(f'<row r="1">{header}</row>')
    f.write("".join(head).encode("utf-8"))
    letters = [column_letter(j) for j in range(1, m + 1)]
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        f.write(_rows(cols, letters, start, stop).encode("utf-8"))
    f.write(b'</sheetData><pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
             b'<pageSetup orientation="landscape" fitToHeight="0"/>'
             b'<tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>')


def _rows(cols: list[_Column], letters: list[str], start: int, stop: int) -> str:
    """The <row> elements of rows start..stop-1 (0-based data rows), built column-wise:
    every cell is five string pieces laid into one grid, joined once."""
    k = stop - start
    rnum = np.arange(start + 2, stop + 2).astype(str).astype(object)
    grid = np.empty((k, 2 + 5 * len(cols)), dtype=object)
    grid[:, 0] = '<row r="' + rnum + '">'
    grid[:, -1] = "</row>"
    for j, (c, letter) in enumerate(zip(cols, letters, strict=True)):
        kind = c.kind[start:stop]
        blank = kind == _BLANK
        opening = np.array(["", f'<c r="{letter}', f'<c r="{letter}', f'<c r="{letter}'], dtype=object)
        attrs = np.array(["", '"><v>', f'" s="{_STYLE_DATE}"><v>', '" t="s"><v>'], dtype=object)
        closing = np.array(["", "</v></c>", "</v></c>", "</v></c>"], dtype=object)
        b = 1 + 5 * j
        grid[:, b] = opening[kind]
        num = rnum.copy()
        num[blank] = ""
        grid[:, b + 1] = num
        grid[:, b + 2] = attrs[kind]
        grid[:, b + 3] = c.text[start:stop]
        grid[:, b + 4] = closing[kind]
    return "".join(grid.ravel().tolist())


def _write_sst(f, uniq: np.ndarray, count: int) -> None:
    f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" count="{count}" '
            f'uniqueCount="{len(uniq)}">'.encode())
    s = pd.Series(np.asarray(uniq, dtype=object).astype(str), dtype="string[pyarrow]")  # vectorised text ops
    if s.str.contains(_ILLEGAL).any():
        s = s.str.replace(_ILLEGAL, "", regex=True)
    esc = s.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False) \
        .str.replace(">", "&gt;", regex=False)
    spaced = (s.str.strip() != s).to_numpy(dtype=bool)
    opening = np.where(spaced, '<si><t xml:space="preserve">', "<si><t>")
    for start in range(0, len(esc), 200_000):
        part = esc.iloc[start:start + 200_000].to_numpy(dtype=object)
        grid = np.empty((len(part), 3), dtype=object)
        grid[:, 0] = opening[start:start + len(part)]
        grid[:, 1] = part
        grid[:, 2] = "</t></si>"
        f.write("".join(grid.ravel().tolist()).encode("utf-8"))
    f.write(b"</sst>")


def _content_types(n: int) -> str:
    pkg = "application/vnd.openxmlformats-package"
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
             f'<Default Extension="rels" ContentType="{pkg}.relationships+xml"/>',
             '<Default Extension="xml" ContentType="application/xml"/>',
             f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>',
             f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>',
             f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>',
             f'<Override PartName="/docProps/core.xml" ContentType="{pkg}.core-properties+xml"/>',
             '<Override PartName="/docProps/app.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>']
    for k in range(1, n + 1):
        parts.append(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT}.worksheet+xml"/>')
        parts.append(f'<Override PartName="/xl/tables/table{k}.xml" ContentType="{_CT}.table+xml"/>')
    parts.append("</Types>")
    return "".join(parts)


def _root_rels() -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>")


def _core() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>massbal benchmark book</dc:title>'
            '<dc:creator>massbal</dc:creator>'
            '<dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:modified>'
            "</cp:coreProperties>")


def _app() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
            '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>massbal</Application></Properties>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{escape(n)}" sheetId="{k}" r:id="rId{k}"/>' for k, n in enumerate(names, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
            '<calcPr calcId="191029"/></workbook>')


def _workbook_rels(n: int) -> str:
    rels = [f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
            for k in range(1, n + 1)]
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
    rels.append(f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            + "".join(rels) + "</Relationships>")


def _sheet_rels(k: int) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/table" Target="../tables/table{k}.xml"/></Relationships>')


def _table(k: int, name: str, headers: list[str], n_rows: int) -> str:
    ref = f"A1:{column_letter(len(headers))}{n_rows + 1}"
    cols = "".join(f'<tableColumn id="{j}" name="{escape(str(h), {chr(34): "&quot;"})}"/>'
                   for j, h in enumerate(headers, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<table xmlns="{_MAIN}" id="{k}" '
            f'name="{escape(name)}" displayName="{escape(name)}" ref="{ref}" totalsRowShown="0">'
            f'<autoFilter ref="{ref}"/><tableColumns count="{len(headers)}">{cols}</tableColumns>'
            '<tableStyleInfo name="TableStyleLight9" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>')


_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
)
