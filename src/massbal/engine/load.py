"""From a RawBook to typed tables: every cell read once, every problem a located finding.

Rows whose required cells cannot be read are left out of the figures (and said so);
every other row counts. Column names in the typed tables are snake_case forms of the
contract's names ('Kg per unit' -> kg_per_unit, 'Tolerance %' -> tolerance_pct), plus
`_row` (the worksheet row) and `*_key` match keys for names.

Longer than the others (about 600 lines) on purpose: one pass per table from cells to
typed columns, with each cell's finding beside the code that reads it; split, the
finding and its reading would drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from . import findings as F
from .parse import Parsed, all_text, distinct_keys, filled_texts, parse_date, parse_number, parse_text, parse_yesno
from .rawbook import RawBook, RawTable
from .schema import TABLES, TableSpec, header_key, name_key
from .tolerance import read_tolerance, read_tolerance_column
from .units import kg_factors, report_factor, unit_info, unit_problem

# Tables whose absence a user should hear about; the rest are simply empty when absent.
CORE_TABLES = ("Items", "Receipts", "Shipments")
MOVEMENT_TABLES = ("Receipts", "Batches", "BatchInputs", "Shipments", "Losses", "Counts", "Transfers",
                   "Harvests", "FarmUse", "Applications")  # the last three: farms only (CONTRACT section 6)
# Other header spellings people use for the same column.
_HEADER_ALIASES = {"qty": "quantity", "uom": "unit", "lotnumber": "lot", "lot#": "lot",
                   "lotno": "lot", "batch#": "batch", "batchno": "batch", "product": "item"}
# Items in these categories are not agricultural (NOP counts organic % without water and
# salt), so a conventional lot of them in an organic run is not commingling.
NON_AGRICULTURAL = frozenset({"water", "salt", "non-agricultural", "nonagricultural",
                              "processing aid", "mineral", "packaging"})


# A billion tonnes: more than any operation's stock; above it a quantity is a typo.
MAX_PLAUSIBLE_KG = 1e12


def snake(name: str) -> str:
    return name.strip().lower().replace("%", "pct").replace(" ", "_")


class Settings(BaseModel):
    unit: str = "lb"
    tolerance_pct: float = 5.0
    category_tolerance: dict[str, float] = Field(default_factory=dict)  # by name_key
    operation: str | None = None
    trend_pct: float = 3.0  # VARIANCE_TREND: |variance %| above this ...
    trend_months: int = 3  # ... in this many consecutive months
    harvest_tolerance_pct: float = 15.0  # farms: a harvest this far over the acres' expected yield is flagged

    def tolerance_for(self, category_key: str | None) -> float:
        if category_key and category_key in self.category_tolerance:
            return self.category_tolerance[category_key]
        return self.tolerance_pct


@dataclass(frozen=True)
class Book:
    """The workbook as typed tables, ready for the ledger."""
    tables: dict[str, pd.DataFrame]
    items: pd.DataFrame  # one row per item_key (Items rows plus items only seen in movements)
    settings: Settings
    findings: pd.DataFrame
    sheets: dict[str, str] = field(default_factory=dict)  # table -> sheet it lives on
    letters: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, column) -> letter
    present: frozenset = frozenset()
    # names as integer codes (whole-table joins and groupings on integers are many times
    # faster than on text): codes[kind][code] is the match key; code 0 is 'blank'
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    variants: dict[str, frozenset] = field(default_factory=dict)  # codes typed more than one way

    def letter(self, table: str, column: str) -> str | None:
        return self.letters.get((table, column))

    def code(self, kind: str, text: str) -> int | None:
        hits = np.flatnonzero(self.codes[kind] == name_key(text))
        return int(hits[0]) if len(hits) else None


# ------------------------------------------------------------------ one table

@dataclass
class _Typed:
    frame: pd.DataFrame
    findings: list
    letters: dict
    # name columns read a distinct value at a time: their distinct values, by column; the
    # frame holds the codes as `_codes_<column>` (dropped again by _encode)
    uniques: dict = field(default_factory=dict)


def _empty_column(c) -> pd.Series:
    return pd.Series(dtype="datetime64[ns]" if c.kind == "date" else float if c.kind == "number" else object)


_EMPTY: dict[TableSpec, pd.DataFrame] = {}


def _empty_frame(spec: TableSpec) -> pd.DataFrame:
    # made once per table and copied (a copy: callers may add columns): building a frame
    # column by column cost ~4 ms, paid for each absent table of every small book
    if spec not in _EMPTY:
        cols = {"_row": pd.Series(dtype="int64")}
        for c in spec.columns:
            cols[snake(c.name)] = _empty_column(c)
        _EMPTY[spec] = pd.DataFrame(cols)
    return _EMPTY[spec].copy()


def _map_headers(spec: TableSpec, raw: RawTable, out: list) -> dict[str, int]:
    wanted = {header_key(c.name): c.name for c in spec.columns}
    found: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        k = header_key(h)
        k = _HEADER_ALIASES.get(k, k) if k not in wanted else k
        if k in wanted:
            name = wanted[k]
            if name in found:
                out.append(F.make("warning", "MISSING_COLUMN", raw.sheet, raw.header_row, name,
                                  raw.columns[i], f"The column '{h}' appears twice in {spec.name}; "
                                  f"massbal uses the first one (column {raw.columns[found[name]]}) "
                                  f"and ignores this one."))
                continue
            found[name] = i
    for c in spec.columns:
        if c.required and c.name not in found:
            out.append(F.make("error", "MISSING_COLUMN", raw.sheet, raw.header_row, c.name, None,
                              f"The {spec.name} table has no '{c.name}' column, which it needs. "
                              f"Add a column headed '{c.name}'; until then no row of {spec.name} is counted."))
    return found


def _type_table(spec: TableSpec, raw: RawTable, date1904: bool, read: dict | None = None) -> _Typed:
    """read: columns already read (column name -> Parsed), as _shared_names reads them."""
    out: list = []
    found = _map_headers(spec, raw, out)
    letters = {name: raw.columns[i] for name, i in found.items()}
    if any(c.required and c.name not in found for c in spec.columns):
        return _Typed(_empty_frame(spec), out, letters)
    data = raw.data
    rows = pd.Series(np.asarray(raw.rows, dtype=np.int64), index=data.index)
    blank_cols = []
    parsed = {}
    for c in spec.columns:
        if c.name not in found:
            continue
        col = data[found[c.name]]
        if read and c.name in read:
            p = read[c.name]
        elif c.kind == "number":
            p = parse_number(col)
        elif c.kind == "date":
            p = parse_date(col, date1904)
        elif c.kind == "yesno":
            p = parse_yesno(col)
        else:
            p = parse_text(col, names=snake(c.name) in KEY_KINDS)
        parsed[c.name] = p
        blank_cols.append(p.blank)
    # a row is there when any of its cells is filled (blank rows inside a table are skipped)
    # (as numpy: a small book's tables paid more for the pandas steps than for the work)
    all_blank = pd.Series(np.logical_and.reduce([b.to_numpy(dtype=bool) for b in blank_cols]), index=data.index) \
        if blank_cols else pd.Series(True, index=data.index)
    other_cols = [i for i in range(data.shape[1]) if i not in found.values()]
    if other_cols and all_blank.any():
        # columns massbal does not read decide only for rows whose read cells are all blank
        from .parse import is_blank
        rows_blank = all_blank.to_numpy(dtype=bool)
        sub = data.loc[rows_blank, other_cols]
        extra_blank = pd.concat([is_blank(sub[i]) for i in other_cols], axis=1).all(axis=1)
        all_blank = all_blank.copy()
        all_blank[rows_blank] = extra_blank.to_numpy(dtype=bool)
    present = ~all_blank
    # a totals row a user added under the table: a label like "Total" and no required text
    if len(rows) and data.shape[1]:
        last = present[::-1].idxmax() if present.any() else None
        label = str(data.iloc[:, 0].get(last, "")) if last is not None else ""
        if re.match(r"^\s*(grand\s+)?totals?\b", label, re.IGNORECASE):
            out.append(F.make("info", "BAD_VALUE", raw.sheet, int(rows[last]), raw.headers[0] or None,
                              raw.columns[0], "This looks like a totals row, so massbal does not count it as data."))
            present[last] = False
    present_at = present.to_numpy(dtype=bool)
    valid = present_at.copy()
    frame = {"_row": rows}
    uniques = {}
    for c in spec.columns:
        key = snake(c.name)
        if c.name not in parsed:
            frame[key] = _empty_column(c).reindex(data.index)  # (one column: not a whole empty table)
            continue
        p = parsed[c.name]
        letter = letters[c.name]
        unread = np.zeros(len(present_at), dtype=bool) if p.clean else p.problem.notna().to_numpy(dtype=bool)
        problem = unread & present_at
        missing = p.blank.to_numpy(dtype=bool) & present_at & c.required
        sev = "error" if c.required else "warning"
        code = {"number": "BAD_QUANTITY", "date": "BAD_DATE"}.get(c.kind, "BAD_VALUE")
        if problem.any():
            consequence = (f" This {spec.name} row is left out of the figures until it is fixed."
                           if c.required else f" The {c.name} is ignored.")
            msgs = (c.name + " " + p.problem[problem].astype(str) + "." + consequence)
            out.append(F.make(sev, code, raw.sheet, rows[problem].to_numpy(), c.name, letter, msgs))
            if c.required:
                valid &= ~problem
        if missing.any():
            out.append(F.make("error", "MISSING_VALUE", raw.sheet, rows[missing].to_numpy(), c.name, letter,
                              f"{c.name} is empty but every {spec.name} row needs one. This row is left "
                              f"out of the figures until it is filled in."))
            valid &= ~missing
        # (most columns have no unreadable cell: then there is nothing to blank out)
        vals = p.values.where(~unread, None) if c.kind not in ("number", "date") and unread.any() else p.values
        if c.name == "Date":
            # a movement dated after today is almost always a typo (2052 for 2025); counted, but said
            future = present & (vals > pd.Timestamp.today().normalize() + pd.Timedelta(days=1))
            if future.any():
                out.append(F.make("warning", "BAD_DATE", raw.sheet, rows[future].to_numpy(), c.name, letter,
                                  c.name + " " + vals[future].dt.strftime("%Y-%m-%d") + " is in the future. "
                                  "Check the year; the row is counted as dated."))
        frame[key] = vals
        if key in KEY_KINDS and p.codes is not None:
            frame["_codes_" + key] = p.codes
            uniques[key] = p.uniques
    for name, i in found.items():
        if i in raw.percent:  # the face saw which cells are formatted as percentages
            frame["_pct_" + snake(name)] = pd.Series(np.asarray(raw.percent[i], dtype=bool), index=data.index)
    # (the columns as they are, not first copied into one block per dtype: the rows kept
    # are taken next, which copies them in pandas 2.2 (copy on write in pandas 3), so the
    # typed table still shares no cells with the raw one)
    typed = pd.DataFrame(frame, copy=False)
    return _Typed(typed[valid].reset_index(drop=True), out, letters, uniques)


# ------------------------------------------------------------------ whole book

def _settings(frame: pd.DataFrame, sheet: str, letters: dict, out: list) -> Settings:
    s = Settings()
    for rec in frame.to_dict("records"):  # a handful of rows
        key = header_key(rec["setting"])
        val = rec["value"]
        row = int(rec["_row"])
        if key == "unit":
            info = unit_info(str(val))
            if info.kind == "mass":
                s.unit = str(val).strip()
            else:
                out.append(F.make("error", "BAD_UNIT", sheet, row, "Value", letters.get("Value"),
                                  f"The report unit: {unit_problem(info, str(val).strip())} "
                                  "Until then massbal reports in lb."))
        elif key == "harvesttolerance%":
            try:
                s.harvest_tolerance_pct = float(str(val).replace("%", "").replace(",", "."))
            except ValueError:
                out.append(F.make("warning", "BAD_VALUE", sheet, row, "Value", letters.get("Value"),
                                  f"'{val}' is not a percentage; the default harvest tolerance (15 %) is used instead."))
        elif key.startswith("tolerance%"):
            try:
                number = float(str(val).replace("%", "").replace(",", "."))
            except ValueError:
                out.append(F.make("warning", "BAD_VALUE", sheet, row, "Value", letters.get("Value"),
                                  f"'{val}' is not a percentage; the default tolerance is used instead."))
                continue
            fmt = rec.get("_pct_value")
            tol = read_tolerance(number, None if fmt is None or fmt != fmt else bool(fmt),
                                 has_percent_sign="%" in str(val), fallback="the default (5 %)")
            if tol.message:
                out.append(F.make(tol.severity, "BAD_VALUE", sheet, row, "Value", letters.get("Value"), tol.message))
            if tol.pct is None:
                continue
            pct = tol.pct
            category = key[len("tolerance%"):]
            if category:
                # the category keeps its own spelling from the Setting text
                cat_text = str(rec["setting"]).split("%", 1)[1]
                s.category_tolerance[name_key(cat_text)] = pct
            else:
                s.tolerance_pct = pct
        elif key in ("trend%", "trendmonths"):
            try:
                v = float(str(val).replace("%", "").replace(",", "."))
                if v <= 0:
                    raise ValueError
            except ValueError:
                out.append(F.make("warning", "BAD_VALUE", sheet, row, "Value", letters.get("Value"),
                                  f"'{val}' is not a positive number; the default {rec['setting']} is used instead."))
                continue
            if key == "trend%":
                s.trend_pct = v
            else:
                s.trend_months = max(2, int(round(v)))
        elif key in ("operation", "company", "operationname", "business"):
            s.operation = str(val)
        elif key in FARM_SETTINGS:
            continue  # read by the farm modules (engine.feed.farm_settings)
        else:
            out.append(F.make("info", "BAD_VALUE", sheet, row, "Setting", letters.get("Setting"),
                              f"'{rec['setting']}' is not a setting massbal uses; it is ignored."))
    return s


# Settings of the farm balances (CONTRACT section 6), read where they are used.
FARM_SETTINGS = frozenset({"harvesttolerance%", "feedtolerance%", "pasturedmi%", "grazingdays"})
KEY_KINDS = ("item", "lot", "batch", "owner", "supplier", "certificate", "location")
BLANK = 0  # the code of an empty name


def _spellings(frame: pd.DataFrame, kind: str, uniques: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A table's name column as codes (-1 blank) into its distinct spellings, in order of
    first appearance; from the codes the text was read with where there are some."""
    if uniques is None or "_codes_" + kind not in frame:
        return pd.factorize(frame[kind].astype(object))
    filled = np.append(filled_texts(uniques), False)  # the appended slot: code -1
    read = frame["_codes_" + kind].to_numpy()
    ok = filled[read]
    local = np.full(len(read), -1, dtype=np.int64)
    top = np.maximum.accumulate(read) if len(read) else read
    if len(read) and top[0] <= 0 and (np.diff(top) <= 1).all() and top[-1] == len(uniques) - 1:
        # the codes already number the rows' values in order of first appearance (every
        # value appears): renumbering the filled ones is a look-up, not a factorize
        renum = np.cumsum(filled) - 1
        local[ok] = renum[read[ok]]
        return local, uniques[filled[:-1]]
    # integers: cheap, and in order of first appearance
    local[ok], first = pd.factorize(read[ok])
    return local, uniques[first]


# names that run to hundreds of thousands of distinct values, most typed on several
# tables (a received lot on Receipts, BatchInputs and Shipments)
SHARED_KINDS = ("lot", "batch")


def _shared_names(raw: RawBook) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """The big lot and batch columns of every table read as one column: each distinct name
    read once, not once per table it is on, and its code the same on every table (so
    _encode matches the tables' names on integers). By table, the columns read (column
    name -> Parsed, as parse_text reads the table's own column: the same values, blanks
    and problems cell for cell); by kind, the distinct texts the codes number, where each
    code names its own text (Parsed.distinct). Only columns that parse_text would read a
    distinct value at a time on their own are joined, and only columns of one dtype."""
    shared: dict[str, dict] = {}
    vocab: dict[str, np.ndarray] = {}
    for kind in SHARED_KINDS:
        cols, where = [], []
        for name, spec in TABLES.items():
            rt = raw.get(name)
            column = next((c for c in spec.columns if snake(c.name) == kind), None)
            if rt is None or column is None or column.kind in ("number", "date", "yesno"):
                continue
            found = _map_headers(spec, rt, [])  # (its findings are _type_table's to say)
            if column.name in found and all_text(col := rt.data[found[column.name]]):
                cols.append(col)
                where.append((name, column.name))
        if len(cols) < 2 or len({str(c.dtype) for c in cols}) > 1:
            continue
        p = parse_text(pd.concat(cols, ignore_index=True), names=True)
        if p.codes is None:
            continue
        at = 0
        for col, (name, cname) in zip(cols, where, strict=True):
            part = slice(at, at + len(col))
            at += len(col)
            # (views of the joined arrays: the table's frame copies them (pandas 2.2) or
            # copies on write (pandas 3), so no table writes into another's cells)
            shared.setdefault(name, {})[cname] = Parsed(
                pd.Series(p.values.to_numpy()[part], index=col.index, dtype=object, copy=False),
                pd.Series(p.blank.to_numpy()[part], index=col.index, copy=False),
                pd.Series(p.problem.to_numpy()[part], index=col.index, dtype=object, copy=False),
                p.codes[part], p.uniques, clean=p.clean)
        if p.distinct:
            vocab[kind] = p.uniques
    return shared, vocab


def _shared_spellings(typed: dict[str, pd.DataFrame], names: list[str], kind: str,
                      read_uniques: dict[str, dict], vocab: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """_encode's spellings of a kind read on several tables at once (_shared_names): each
    row's spelling (-1 blank) and the distinct spellings, in the order of first appearance
    table by table, row by row (as a factorize of the tables' own spellings orders them).
    The shared codes stand for their texts (vocab's texts are distinct), so the tables are
    matched on integers; the few names of other tables (a small Transfers table) are
    looked up among the texts once."""
    filled = np.append(filled_texts(vocab), False)  # the appended slot: code -1
    n = len(vocab)
    ids, others = [], {}
    for t in names:
        frame = typed[t]
        if read_uniques.get(t, {}).get(kind) is vocab and "_codes_" + kind in frame:
            read = frame["_codes_" + kind].to_numpy()
            ids.append(np.where(filled[read], read, -1))
            continue
        local, u = _spellings(frame, kind, read_uniques.get(t, {}).get(kind))
        own = np.array([others.setdefault(v, n + len(others)) for v in u.tolist()], dtype=np.int64)
        ids.append(np.where(local >= 0, np.append(own, -1)[local], -1))
    texts = np.asarray(vocab, dtype=object)
    if others:  # other tables' names that the shared columns have too take their code
        extra = np.array(list(others), dtype=object)
        # (object Indexes both: pandas 3 would make a text column of the texts, then back)
        at = pd.Index(extra, dtype=object).get_indexer(pd.Index(texts, dtype=object, copy=False))
        code = np.arange(n, n + len(extra))
        hit = np.flatnonzero((at >= 0) & filled[:-1])
        code[at[hit]] = hit
        texts = np.concatenate([texts, extra])
        ids = [np.where(i >= n, code[np.maximum(i - n, 0)], i) for i in ids]
    allids = np.concatenate(ids)
    sel = allids >= 0
    spell = np.full(len(allids), -1, dtype=np.int64)
    got = allids[sel]
    top = np.maximum.accumulate(got) if len(got) else got
    if len(got) and top[0] == 0 and (np.diff(top) <= 1).all():
        # the shared codes already number the spellings in order of first appearance (each
        # new one the next integer, as the tables were read in this order): a factorize
        # would give them back as they are (a hash of a million codes saved)
        spell[sel], first = got, np.arange(int(top[-1]) + 1)
    else:
        spell[sel], first = pd.factorize(got)
    return np.split(spell, np.cumsum([len(i) for i in ids])[:-1]), texts[first]


def _encode(typed: dict[str, pd.DataFrame], read_uniques: dict[str, dict] | None = None,
            vocab: dict[str, np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], dict[str, frozenset]]:
    """Give every table a `<kind>_key` integer column per name column, one dictionary per
    kind across all tables (so Receipts' and Certificates' suppliers share codes).

    Match keys are computed once per distinct spelling, not per row; keys that more than
    one spelling maps to ('Oats', 'oats ') are returned as variants. Codes follow the
    order in which keys first appear, table by table, row by row.
    """
    read_uniques = read_uniques or {}
    vocab = vocab or {}
    codes, variants = {}, {}
    new_cols: dict[str, dict] = {}
    for kind in KEY_KINDS:
        names = [t for t in typed if kind in typed[t].columns]
        if kind in vocab:  # read on several tables at once: matched on the shared codes
            row_spells, spellings = _shared_spellings(typed, names, kind, read_uniques, vocab[kind])
        else:
            parts = [_spellings(typed[t], kind, read_uniques.get(t, {}).get(kind)) for t in names]
            # the distinct spellings of every table, in table order, as one dictionary
            local_u = [np.asarray(u, dtype=object) for _, u in parts]
            allu = np.concatenate(local_u) if local_u else np.array([], dtype=object)
            gid, spellings = pd.factorize(allu)
            bounds = np.cumsum([0] + [len(u) for u in local_u])
            row_spells = [np.append(gid[a:b], -1)[local]
                          for (local, _), a, b in zip(parts, bounds[:-1], bounds[1:], strict=True)]
        # (an object Series: pandas 3 would make a text column of the spellings, then back)
        keys_u, distinct = distinct_keys(pd.Series(np.asarray(spellings, dtype=object), dtype=object, copy=False))
        if distinct:
            # the spellings are distinct, and so are their keys (distinct_keys), none blank:
            # a factorize would number them in turn after the blank key
            kid_u, key_uniques = np.arange(1, len(keys_u) + 1), np.concatenate([np.array([""], dtype=object), keys_u])
        else:
            kid_u, key_uniques = pd.factorize(np.concatenate([np.array([""], dtype=object), keys_u]))
            kid_u = kid_u[1:]
        codes[kind] = np.asarray(key_uniques, dtype=object)
        counts = np.bincount(kid_u, minlength=len(key_uniques)) if len(kid_u) else np.zeros(1, int)
        variants[kind] = frozenset(np.flatnonzero(counts > 1).tolist())
        for t, row_spell in zip(names, row_spells, strict=True):
            row_key = np.where(row_spell >= 0, np.append(kid_u, 0)[row_spell], 0)
            new_cols.setdefault(t, {})[kind + "_key"] = row_key.astype(np.int64)
    # each table's key columns added in one step (pandas 2.2 copies a frame at each assign)
    for t in typed:
        hidden = [c for c in typed[t].columns if str(c).startswith("_codes_")]
        frame = typed[t].drop(columns=hidden) if hidden else typed[t]
        typed[t] = frame.assign(**new_cols[t]) if t in new_cols else frame
    return codes, variants


def _item_tolerances(items: pd.DataFrame, sheet: str, letter: str | None, out: list) -> pd.DataFrame:
    """Items' Tolerance % in percent, rescaled only where the cell is formatted as one."""
    if not len(items) or items["tolerance_pct"].isna().all():
        return items
    fmt = items["_pct_tolerance_pct"] if "_pct_tolerance_pct" in items else None
    pct, read = read_tolerance_column(items["tolerance_pct"], fmt, "the category's or the default tolerance")
    for r, t in zip(items["_row"], read, strict=True):
        if t.message:
            out.append(F.make(t.severity, "BAD_VALUE", sheet, int(r), "Tolerance %", letter, t.message))
    return items.assign(tolerance_pct=pct)


def _items_table(items: pd.DataFrame, movement_items: pd.DataFrame, settings: Settings,
                 produced_keys: set, consumed_keys: set) -> pd.DataFrame:
    """One row per item_key: attributes from Items, defaults for items seen only in movements."""
    items = items.drop_duplicates("item_key", keep="first")
    seen = movement_items.drop_duplicates("item_key", keep="first")
    extra = seen[~seen["item_key"].isin(items["item_key"])]
    allitems = pd.concat([items, extra[["item", "item_key"]]], ignore_index=True)
    allitems["listed"] = allitems["item_key"].isin(items["item_key"])
    allitems["organic"] = allitems["organic"].map(lambda v: True if v is None or v is np.nan or pd.isna(v) else bool(v))
    inferred = np.where(allitems["item_key"].isin(produced_keys),
                        np.where(allitems["item_key"].isin(consumed_keys), "Intermediate", "Product"),
                        "Ingredient")
    allitems["kind"] = allitems["kind"].where(allitems["kind"].notna(), pd.Series(inferred, index=allitems.index))
    allitems["category_key"] = allitems["category"].map(lambda c: name_key(c) if isinstance(c, str) else "")
    tol = allitems["tolerance_pct"].astype(float)  # already in percent (_item_tolerances)
    cat_tol = allitems["category_key"].map(lambda k: settings.tolerance_for(k))
    allitems["tolerance_pct"] = tol.where(tol.notna(), cat_tol)
    allitems["agricultural"] = ~allitems["category_key"].isin(NON_AGRICULTURAL)
    return allitems.set_index("item_key", drop=False)


def _first_rows(keys: np.ndarray, n_codes: int) -> np.ndarray:
    """The row of each key's first appearance, in row order (np.unique's first indices,
    sorted): keys are codes below n_codes, so a lowest row per code, not a sort of them all."""
    at = np.full(n_codes, len(keys), dtype=np.int64)
    np.minimum.at(at, keys, np.arange(len(keys), dtype=np.int64))
    return np.sort(at[at < len(keys)])


def _distinct(keys: pd.Series) -> set:
    # (hashed in C: a set of the column itself makes a Python int of every row)
    return set(pd.unique(keys.to_numpy()).tolist())


def load_book(raw: RawBook) -> Book:
    out: list = []
    typed: dict[str, pd.DataFrame] = {}
    sheets: dict[str, str] = {}
    letters: dict[tuple[str, str], str] = {}
    read_uniques: dict[str, dict] = {}
    shared, vocab = _shared_names(raw)
    for name, spec in TABLES.items():
        rt = raw.get(name)
        if rt is None:
            if name in CORE_TABLES:
                out.append(F.make("warning", "MISSING_TABLE", name, None, None, None,
                                  f"The workbook has no {name} table or sheet. Add one (the template "
                                  f"massbal new writes has it); each of its rows is {spec.row_is}."))
            typed[name] = _empty_frame(spec)
            sheets[name] = name
            continue
        t = _type_table(spec, rt, raw.date1904, shared.get(name))
        out.extend(t.findings)
        if rt.below_table_from or rt.detached_row:
            out.append(_rows_below_table(rt))
        typed[name] = t.frame
        read_uniques[name] = t.uniques
        sheets[name] = rt.sheet
        for col, letter in t.letters.items():
            letters[(name, col)] = letter
    settings = _settings(typed["Settings"], sheets["Settings"],
                         {c: letters.get(("Settings", c)) for c in ("Setting", "Value")}, out)

    typed["Items"] = _item_tolerances(typed["Items"], sheets["Items"], letters.get(("Items", "Tolerance %")), out)
    codes, variants = _encode(typed, read_uniques, vocab)

    # the items each table names, for defaults and the unknown-item check
    # (each item's first row, in table order, from the columns' arrays: ten small frames
    # concatenated cost a small book more than the look-up itself)
    keys = np.concatenate([typed[t]["item_key"].to_numpy(dtype=np.int64) for t in MOVEMENT_TABLES])
    first = _first_rows(keys, len(codes["item"]))
    names = np.concatenate([typed[t]["item"].to_numpy(dtype=object) for t in MOVEMENT_TABLES])[first]
    movement_items = pd.DataFrame({"item": pd.Series(names, dtype=object), "item_key": keys[first]})
    produced = _distinct(typed["Batches"]["item_key"])
    consumed = _distinct(typed["BatchInputs"]["item_key"])
    items = _items_table(typed["Items"], movement_items, settings, produced, consumed)

    # quantities into the report unit, through pint, one factor per distinct (unit, item)
    rf = report_factor(settings.unit)
    item_units = {k: u for k, u in zip(items["item_key"], items["unit"], strict=True) if isinstance(u, str) and u.strip()}
    kpu = {k: float(v) for k, v in zip(items["item_key"], items["kg_per_unit"], strict=True) if pd.notna(v)}
    listed = set(typed["Items"]["item_key"]) if len(typed["Items"]) else None
    for name in MOVEMENT_TABLES:
        t = typed[name]
        conv = kg_factors(t["unit"], t["item_key"], item_units, kpu)
        bad = conv.problem.notna()
        # an item not on Items is the mistake to fix (a misspelling, usually), not its unit
        unknown = ~t["item_key"].isin(listed) if listed is not None else pd.Series(False, index=t.index)
        if unknown.any():
            out.append(_unknown_items(t[unknown], bad[unknown], typed["Items"]["item"], sheets[name],
                                      letters.get((name, "Item"))))
        if (bad & ~unknown).any():
            bad_unit = bad & ~unknown
            out.append(F.make("error", "BAD_UNIT", sheets[name], t.loc[bad_unit, "_row"].to_numpy(), "Unit",
                              letters.get((name, "Unit")),
                              "Unit " + conv.problem[bad_unit].astype(str) + " This row is left out of the figures until it is fixed."))
        qty = t["quantity"].astype(float)
        neg = qty < 0
        if neg.any():
            out.append(F.make("error", "BAD_QUANTITY", sheets[name], t.loc[neg, "_row"].to_numpy(), "Quantity",
                              letters.get((name, "Quantity")),
                              "Quantity is negative (" + qty[neg].map("{:g}".format) + "). Record returns and "
                              "corrections as their own rows with positive quantities; this row is left out."))
        zero = (qty == 0) & (name != "Counts")
        if zero.any():
            out.append(F.make("warning", "BAD_QUANTITY", sheets[name], t.loc[zero, "_row"].to_numpy(), "Quantity",
                              letters.get((name, "Quantity")), "Quantity is 0, so this row changes nothing. "
                              "Check whether a number is missing."))
        kg = qty * conv.factor
        # beyond any stock on earth: a typo or a hostile cell, and 1e308 would become infinity
        huge = ~bad & qty.notna() & ~(kg.abs() <= MAX_PLAUSIBLE_KG)
        if huge.any():
            out.append(F.make("error", "BAD_QUANTITY", sheets[name], t.loc[huge, "_row"].to_numpy(), "Quantity",
                              letters.get((name, "Quantity")),
                              "Quantity " + qty[huge].map("{:.4g}".format) + " is more than any stock could hold "
                              f"(over {MAX_PLAUSIBLE_KG:,.0f} kg). Check the number; this row is left out."))
        keep = ~bad & ~neg & ~huge
        t = t.assign(kg=kg, qty=kg * rf)
        typed[name] = t[keep.to_numpy()].reset_index(drop=True)

    return Book(typed, items, settings, F.combine(out), sheets, letters,
                frozenset(n for n in TABLES if raw.get(n) is not None), codes, variants)


def _unknown_items(rows: pd.DataFrame, unconvertible: pd.Series, listed_names: pd.Series, sheet: str,
                   letter: str | None) -> pd.DataFrame:
    """UNKNOWN_ITEM at each row whose item the Items sheet does not list, with the listed
    names it is closest to (one look-up per distinct name typed)."""
    import difflib
    names = [str(n) for n in listed_names.dropna().unique()]
    folded = {n.casefold(): n for n in names}
    hints = {}
    for typed_name in rows["item"].astype(str).unique():
        close = difflib.get_close_matches(typed_name.casefold(), list(folded), n=2, cutoff=0.6)
        hints[typed_name] = (" Did you mean " + " or ".join(f"'{folded[c]}'" for c in close) + "?") if close else ""
    item = rows["item"].astype(str)
    consequence = pd.Series(" It is counted as its own item meanwhile.", index=rows.index)
    consequence[unconvertible.to_numpy()] = (" Its unit cannot be converted without the item's Items row, so this "
                                             "row is left out of the figures until it is fixed.")
    msgs = "'" + item + "' is not on the Items sheet." + item.map(hints) + " Correct the spelling, or add it to " \
        "the Items sheet." + consequence
    return F.make("error", "UNKNOWN_ITEM", sheet, rows["_row"].to_numpy(), "Item", letter, msgs)


def _rows_below_table(rt) -> pd.DataFrame:
    """Rows typed or pasted just under an Excel Table are read as part of it (Excel grows a
    table when you type there); said once, at the first of them, never dropped silently."""
    out = []
    if rt.below_table_from:
        a, b = int(rt.below_table_from), int(rt.rows[-1])
        rows = f"Row {a} is" if a == b else f"Rows {a} to {b} are"
        out.append(F.make("info", "ROWS_BELOW_TABLE", rt.sheet, a, None, None,
                          f"{rows} just below the Excel Table '{rt.name}', which ends at row {a - 1}. massbal "
                          "counts them as part of the table, as Excel does when you type there; to make it "
                          "official, resize the table to include them (Table Design > Resize Table)."))
    if rt.detached_row:
        r = int(rt.detached_row)
        out.append(F.make("warning", "ROWS_BELOW_TABLE", rt.sheet, r, None, None,
                          f"Row {r} is under the Excel Table '{rt.name}' but a blank row separates it from the "
                          "table, so massbal does not count it. If it is a record, delete the blank row above "
                          "it or resize the table to include it."))
    return F.combine(out)
