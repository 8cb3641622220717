"""Fingerprints of an exported workbook, and `massbal verify`.

Every cell the export writes is reduced to a canonical text: the number exactly as the
file stores it (`repr` of the double, so a re-save by Excel or LibreOffice that writes
more digits of the same double changes nothing), the string, or just "formula" for a
formula cell (its text and cached value may be rewritten by whatever program recomputes
it, but a formula overwritten with a typed number is a change). Numbers count to the
15 significant digits Excel displays and LibreOffice writes back. The export hashes
those texts row by row and column by column, stores the digests on a hidden sheet and
the overall SHA-256 on the cover. `verify` reads the copy's XML directly (no Excel, no
openpyxl), recomputes the same texts and names the rows whose digests fail, and the
cells where only one row or one column of a sheet changed.

This is tamper-evidence against edits, not a signature: someone who recomputes every
digest can forge a copy. Keep the fingerprint printed on the PDF cover (or in an email)
and pass it with --fingerprint to check against that.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from defusedxml import ElementTree as ET

from massbal.xlref import EPOCH_1900, column_number, unescape
from massbal.xlref import column_letter as col_letter
from massbal.xlsx.read.package import Package
from massbal.xlsx.read.workbook import read_workbook_info

FINGERPRINT_SHEET = "_fingerprint"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_M = f"{{{NS['m']}}}"
EPOCH = datetime(EPOCH_1900.year, EPOCH_1900.month, EPOCH_1900.day)
MAX_STRING = 32767


def excel_serial(value: date | datetime) -> float:
    """The day number Excel stores for a date (1900 date system)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EPOCH
    return delta.days + delta.seconds / 86400.0 + delta.microseconds / 86400e6


def canon_number(x: float) -> str:
    # XlsxWriter writes "%.16G"; the double read back from that text, to the 15
    # significant digits Excel shows and LibreOffice writes when it saves a copy
    return canon_text(f"{float(x):.16G}")


def canon_text(written: str) -> str:
    """canon_number of the number whose "%.16G" text is `written` (bulk.py has it already)."""
    return "n:" + _n15(float(written))


def canon_texts(written: list[str]) -> list[str]:
    """canon_text of each (a Ledger's quantities: one call per number was a second)."""
    return ["n:" + format(float(w), _DIGITS) for w in written]


_DIGITS = ".15g"   # the 15 significant digits of a number's fingerprint text


def _n15(x: float) -> str:
    return format(x, _DIGITS)


def canon_string(s: str) -> str:
    return "s:" + s


FORMULA = "f"


@dataclass
class Digests:
    overall: str
    rows: dict[str, dict[int, str]]  # sheet -> row (1-based) -> 16 hex
    cols: dict[str, dict[int, str]]  # sheet -> column (1-based) -> 16 hex


def _h(text: str) -> hashlib._Hash:
    return hashlib.sha256(text.encode("utf-8"))


def digests(cells: dict[str, dict[tuple[int, int], str]], blocks: dict[str, list] | None = None) -> Digests:
    """cells: sheet -> {(row, col): canonical text}, rows and columns 1-based; blocks:
    sheet -> rows written in bulk (bulk.Block), whose row digests and column texts were
    made as they were written: the same digests as if their cells were in `cells`."""
    blocks = blocks or {}
    overall = hashlib.sha256()
    rows_out: dict[str, dict[int, str]] = {}
    cols_out: dict[str, dict[int, str]] = {}
    for sheet in sorted(set(cells) | set(blocks)):
        grid = cells.get(sheet, {})
        by_row: dict[int, list] = {}
        by_col: dict[int, list] = {}
        for (r, c), v in grid.items():
            by_row.setdefault(r, []).append((c, v))
            by_col.setdefault(c, []).append((r, f"{r}={v}"))
        rd = {r: _h("\x1f".join(f"{c}={v}" for c, v in sorted(vals))).hexdigest() for r, vals in by_row.items()}
        for b in blocks.get(sheet, ()):
            if any(b.first <= r <= b.last for r in by_row):
                raise ValueError(f"{sheet}: a cell written inside the rows of a bulk table")
            rd.update(b.row_digests)
            for c in b.col_spans:
                by_col.setdefault(c, []).append((b.first, b))
        cd = {c: _column_digest(c, vals) for c, vals in by_col.items()}
        overall.update(f"\x1e{sheet}\x1d".encode())
        # one update per sheet: the same bytes as one per row, half a million calls fewer
        overall.update("".join([f"{r}:{rd[r]}\n" for r in sorted(rd)]).encode("ascii"))
        rows_out[sheet] = {r: d[:16] for r, d in rd.items()}
        cols_out[sheet] = {c: d[:16] for c, d in cd.items()}
    return Digests(overall.hexdigest(), rows_out, cols_out)


def _column_digest(col: int, vals: list) -> str:
    """sha256 of the column's texts joined by \\x1f in row order, fed piece by piece: a
    bulk block's texts are read back from its file, never joined whole in memory (the
    same digest as joining them)."""
    h = hashlib.sha256()
    first = True
    for _, v in sorted(vals, key=lambda e: e[0]):
        pieces = [v.encode("utf-8")] if isinstance(v, str) else v.col_pieces(col)
        for p in pieces:
            if not first:
                h.update(b"\x1f")
            h.update(p)
            first = False
    return h.hexdigest()


# ------------------------------------------------------------------ reading a copy

_REF = re.compile(r"([A-Z]+)(\d+)")


def _unescape(s: str) -> str:
    return unescape(s).replace("_x005F", "_") if "_x" in s else s


def _text(el) -> str:
    """Text of a shared or inline string, rich-text runs joined."""
    t = el.find(_M + "t")
    if t is not None:
        return _unescape(t.text or "")
    return "".join(_unescape(r.text or "") for r in el.iter(_M + "t"))


def read_cells(path, only: set[str] | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Every non-empty cell of every sheet (or of the sheets named in `only`) as its
    canonical text. A copy comes back from other people, so it is opened by the reader's
    own package access: size and zip-bomb limits, the workbook part found through its
    relationships, case-insensitive names."""
    out: dict[str, dict[tuple[int, int], str]] = {}
    with Package(Path(path)) as pkg:
        info = read_workbook_info(pkg)
        shared = _LazyStrings(pkg, info.shared_strings_part)  # read only if a cell uses it
        for sheet in info.sheets:
            if only is not None and sheet.name not in only:
                continue
            grid: dict[tuple[int, int], str] = {}
            if sheet.part and pkg.has(sheet.part):
                with pkg.open(sheet.part) as fh:
                    for _, el in ET.iterparse(fh, events=("end",)):
                        if el.tag != _M + "c":
                            continue
                        m = _REF.match(el.get("r", ""))
                        v = _cell_canon(el, shared)
                        if m and v is not None:
                            grid[(int(m.group(2)), column_number(m.group(1)))] = v
                        el.clear()
            out[sheet.name] = grid
    return out


class _LazyStrings:
    """The shared strings, read on first use (massbal writes inline strings)."""
    def __init__(self, pkg, part: str | None):
        self.pkg, self.part = pkg, part
        self.items: list[str] | None = None

    def __getitem__(self, i: int) -> str:
        if self.items is None:
            self.items = []
            if self.part:
                with self.pkg.open(self.part) as fh:
                    for _, el in ET.iterparse(fh, events=("end",)):
                        if el.tag == _M + "si":
                            self.items.append(_text(el))
                            el.clear()
        return self.items[i]


def _cell_canon(el, shared) -> str | None:
    if el.find(_M + "f") is not None:
        return FORMULA
    t = el.get("t", "n")
    if t == "inlineStr":
        is_ = el.find(_M + "is")
        s = _text(is_) if is_ is not None else ""
        return canon_string(s) if s else None
    v = el.find(_M + "v")
    if v is None or v.text is None:
        return None
    if t == "s":
        s = shared[int(v.text)]
        return canon_string(s) if s else None
    if t == "str":
        return canon_string(_unescape(v.text)) if v.text else None
    if t == "b":
        return "b:" + v.text
    if t == "e":
        return "e:" + v.text
    return "n:" + _n15(float(v.text))


# ------------------------------------------------------------------ verify

@dataclass
class Stored:
    overall: str
    cover_cell: tuple[str, int, int] | None
    rows: dict[str, dict[int, str]] = field(default_factory=dict)
    cols: dict[str, dict[int, str]] = field(default_factory=dict)
    labels: dict[str, dict[int, str]] = field(default_factory=dict)  # column headers
    beside: list[tuple[str, int, int]] = field(default_factory=list)  # cells outside the fingerprint


def fingerprint_rows(d: Digests, cover_cell: tuple[str, int, int], labels: dict[str, dict[int, str]],
                     beside: list[tuple[str, int, int]] = ()) -> list[list]:
    """The hidden sheet's rows: Sheet | Kind | Index | Digest | Label. Cells `beside` the
    fingerprint (time of export, version) are listed so that verify leaves them out too."""
    # stored as "sha256:<hex>" so it is not the very string the cover shows (an edit of
    # the cover's text cannot change both)
    return [list(r) for r in zip(*fingerprint_columns(d, cover_cell, labels, beside), strict=True)]


def fingerprint_columns(d: Digests, cover_cell: tuple[str, int, int], labels: dict[str, dict[int, str]],
                        beside: list[tuple[str, int, int]] = ()) -> tuple[list, list, list, list, list]:
    """fingerprint_rows as its five columns, built a column at a time: a row per data row
    of the copy (a million at issue 15's size) without a list per row."""
    sheets, kinds, index, digest, label = (["*", cover_cell[0]], ["overall", "cover"], [0, cover_cell[1]],
                                           ["sha256:" + d.overall, ""], ["", str(cover_cell[2])])
    for sheet, r, c in beside:
        sheets.append(sheet), kinds.append("beside"), index.append(r), digest.append(""), label.append(str(c))
    for sheet in sorted(d.rows):
        rows = sorted(d.rows[sheet].items())
        sheets += [sheet] * len(rows)
        kinds += ["row"] * len(rows)
        index += [r for r, _ in rows]
        digest += [h for _, h in rows]
        label += [""] * len(rows)
        cols = sorted(d.cols[sheet].items())
        sheets += [sheet] * len(cols)
        kinds += ["column"] * len(cols)
        index += [c for c, _ in cols]
        digest += [h for _, h in cols]
        label += [labels.get(sheet, {}).get(c, "") for c, _ in cols]
    return sheets, kinds, index, digest, label


def _stored(cells: dict[str, dict[tuple[int, int], str]]) -> Stored | None:
    grid = cells.get(FINGERPRINT_SHEET)
    if not grid:
        return None
    n = max(r for r, _ in grid)
    st = Stored("", None)
    for r in range(2, n + 1):
        vals = [grid.get((r, c), "") for c in range(1, 6)]
        vals = [v[2:] if v.startswith(("s:", "n:")) else v for v in vals]
        sheet, kind, idx, dig, label = vals
        i = int(float(idx)) if idx else 0
        if kind == "overall":
            st.overall = dig.removeprefix("sha256:")
        elif kind == "cover":
            st.cover_cell = (sheet, i, int(float(label)))
        elif kind == "beside":
            st.beside.append((sheet, i, int(float(label))))
        elif kind == "row":
            st.rows.setdefault(sheet, {})[i] = dig
        elif kind == "column":
            st.cols.setdefault(sheet, {})[i] = dig
            st.labels.setdefault(sheet, {})[i] = label
    return st


@dataclass
class VerifyResult:
    ok: bool
    fingerprint: str  # recomputed
    stated: str  # the one on the cover
    problems: list[str]


def verify(path, expected: str | None = None, limit: int = 20) -> VerifyResult:
    cells = read_cells(path)
    st = _stored(cells)
    if st is None or not st.overall:
        return VerifyResult(False, "", "", [f"{path} has no massbal fingerprint: it is not an inspector export, "
                                            "or its hidden '_fingerprint' sheet was removed."])
    cells.pop(FINGERPRINT_SHEET)
    stated = ""
    if st.cover_cell:
        sheet, r, c = st.cover_cell
        stated = cells.get(sheet, {}).pop((r, c), "")[2:]
    for sheet, r, c in st.beside:
        cells.get(sheet, {}).pop((r, c), None)
    d = digests(cells)
    problems: list[str] = []
    if stated != st.overall:
        problems.append(f"The fingerprint written on the cover ({stated[:16] or 'none'}...) is not the one stored "
                        f"with the data ({st.overall[:16]}...): the cover was edited.")
    if expected and expected.strip().lower() not in (st.overall, stated):
        problems.append(f"This copy's fingerprint {st.overall[:16]}... is not the one you gave ({expected.strip()[:16]}...).")
    if d.overall != st.overall:
        problems += _locate(d, st, limit)
    return VerifyResult(not problems, d.overall, stated, problems)


def _locate(d: Digests, st: Stored, limit: int) -> list[str]:
    out = []
    for sheet in sorted(set(st.rows) | set(d.rows)):
        if sheet not in d.rows:
            out.append(f"Sheet '{sheet}' was removed or renamed.")
            continue
        if sheet not in st.rows:
            out.append(f"Sheet '{sheet}' was added (or renamed).")
            continue
        want_r, got_r = st.rows[sheet], d.rows[sheet]
        want_c, got_c = st.cols.get(sheet, {}), d.cols.get(sheet, {})
        bad_rows = sorted(r for r in set(want_r) | set(got_r) if want_r.get(r) != got_r.get(r))
        bad_cols = sorted(c for c in set(want_c) | set(got_c) if want_c.get(c) != got_c.get(c))
        if not bad_rows:
            continue
        labels = st.labels.get(sheet, {})
        # a cell is named exactly where one row or one column changed; else the candidates
        exact = len(bad_rows) == 1 or len(bad_cols) == 1
        for r in bad_rows:
            if len(out) >= limit:
                out.append("... and more.")
                return out
            cells = ", ".join(f"{col_letter(c)}{r}" + (f" ({labels[c]})" if labels.get(c) else "") for c in bad_cols)
            if r not in got_r:
                out.append(f"{sheet} row {r} was emptied or deleted.")
            elif r not in want_r:
                out.append(f"{sheet} row {r} was added.")
            elif exact and cells:
                out.append(f"{sheet} row {r} changed: {cells}.")
            else:
                names = ", ".join(labels.get(c) or col_letter(c) for c in bad_cols)
                out.append(f"{sheet} row {r} changed" + (f" (in one of: {names})." if names else "."))
    return out or ["The fingerprint stored in the copy was changed: every row still matches, but the "
                   "fingerprint does not."]
