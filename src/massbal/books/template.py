"""The input workbook as a user first sees it: instructions, one sheet per input table.

`write_template(path)` writes the empty book that `massbal new` hands out;
`write_input_book(path, tables)` writes the same layout filled with rows (the demo book).
Every table and column name comes from `engine.schema.TABLES`; nothing here invents one.

Output is deterministic (fixed document dates, fixed zip timestamps), so the committed
`workbook_template/massbal_template.xlsx` can be checked against this code byte for byte.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from massbal.engine.schema import TABLES, TableSpec, book_specs
from massbal.xlref import EPOCH_1900

from . import start_text as T

# A fixed document date: the template must not change when nothing in it changed.
DOC_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
COMMON_UNITS = ("lb", "kg", "g", "oz", "t", "ton", "case", "each", "bag", "tote", "bushel", "gallon")
DEFAULT_SETTINGS = (("Unit", "lb"), ("Tolerance %", 5))
BLANK_ROWS = 5  # empty rows in each table of the empty template
LAST_ROW = 1_048_575  # validations cover the whole column, so rows added later have them too
DATE_FORMAT = "yyyy-mm-dd"
XLWINGS_CONF = (("UDF Modules", "massbal.excel.udfs"),)

# Defined names over table columns. A list validation cannot name a Table column directly;
# a defined name that does works in Excel and LibreOffice (tested) and grows with the table.
NAMES = {
    "ItemList": "=Items[Item]",
    "BatchList": "=Batches[Batch]",
    "ReceiptLots": "=Receipts[Lot]",
    "RunLots": "=Batches[Lot]",
    "SupplierList": "=Certificates[Supplier]",
    "CertificateList": "=Certificates[Certificate]",
}

# A farm's book (massbal new --farm) also names its fields, for the Field dropdowns.
FARM_NAMES = {"FieldList": "=Fields[Field]"}

# What to type in each column, shown as a note on its header and on the Start here sheet.
HELP: dict[tuple[str, str], str] = {
    ("Items", "Item"): "The item's name, exactly as you will type it on the other sheets.",
    ("Items", "Kind"): "Ingredient (bought), Intermediate (made and used again) or Product (made and sold).",
    ("Items", "Organic"): "Yes or No. Blank means Yes.",
    ("Items", "Category"): "Groups items for tolerances (Settings: 'Tolerance % <Category>'). "
                           "Category Salt or Water marks a non-agricultural ingredient.",
    ("Items", "Unit"): "The unit you usually count this item in. Needed with Kg per unit for case, each, "
                       "bag, tote, bushel, gallon ...",
    ("Items", "Kg per unit"): "Kilograms in one of the item's Unit (a 9 lb case: 4.082). "
                              "Not needed when Unit is a weight such as lb or kg.",
    ("Items", "Tolerance %"): "Allowed count variance for this item; blank uses its category's or the default.",
    ("Certificates", "Supplier"): "Supplier name as typed on Receipts.",
    ("Certificates", "Certificate"): "Certificate (COO) number as printed.",
    ("Certificates", "Certifier"): "Certifying agent, e.g. CCOF, QAI, OTCO, MOSA, PCO.",
    ("Certificates", "Items covered"): "Items the certificate covers, separated by commas. Blank means all.",
    ("Certificates", "Valid from"): "First day the certificate is valid.",
    ("Certificates", "Valid to"): "Expiry date printed on the certificate.",
    ("Receipts", "Date"): "Day the material arrived.",
    ("Receipts", "Lot"): "Your lot number for this delivery; one lot number per delivery.",
    ("Receipts", "Supplier lot"): "The supplier's own lot number from the bill of lading.",
    ("Receipts", "Certificate"): "The supplier's certificate number (from the Certificates sheet).",
    ("Receipts", "Organic"): "No for a conventional lot, even of an organic item. Blank follows the item.",
    ("Receipts", "Location"): "Where the lot is stored (blank: your own site).",
    ("Receipts", "Owner"): "Only for stock that belongs to someone else (e.g. a customer's own material).",
    ("Batches", "Batch"): "Run number. A run with co-products has one row per output, same Batch.",
    ("Batches", "Item"): "What the run made.",
    ("Batches", "Lot"): "Lot number given to this output.",
    ("BatchInputs", "Batch"): "The run (from the Batches sheet) that consumed this lot.",
    ("BatchInputs", "Lot"): "The input lot consumed: a lot received or made by an earlier run.",
    ("Shipments", "Lot"): "The lot shipped. An order from two lots takes two rows.",
    ("Shipments", "Customer"): "Who received it. Samples and re-exports are shipments too.",
    ("Losses", "Reason"): "cleaning, shrinkage, spoilage, sample, process or other.",
    ("Losses", "Batch"): "Fill only for loss in a production run (process loss). Blank means a loss from stock.",
    ("Losses", "Evidence"): "Where the proof is (scale ticket, disposal record ...).",
    ("Counts", "Date"): "The day of the count; the count is taken at the end of that day.",
    ("Counts", "Lot"): "Optional: count by lot where you can.",
    ("Transfers", "From"): "Location the lot leaves.",
    ("Transfers", "To"): "Location the lot arrives at (e.g. your co-packer).",
    ("Settings", "Setting"): "Operation (your business's name, on the inspector's copy), Unit, Tolerance %, "
                             "or Tolerance % <Category>.",
    ("Settings", "Value"): "The setting's value.",
    # farms (CONTRACT section 6)
    ("Items", "Dry matter %"): "For feeds: the share of dry matter as fed (hay 90, grain 88, corn silage 35).",
    ("Items", "Allowed"): "For inputs applied to fields: Yes, No (prohibited on organic land) or Restricted.",
    ("Fields", "Field"): "The field's or block's name, as you will type it on Harvests, FarmUse and Applications.",
    ("Fields", "Crop"): "The crop grown (an item of Kind Crop on the Items sheet).",
    ("Fields", "Season"): "The year the crop is harvested (winter wheat sown in 2024 is season 2025).",
    ("Fields", "Acres"): "Acres planted to this crop this season.",
    ("Fields", "Expected yield"): "What an acre should give, in the Yield unit (for example 45 bu).",
    ("Fields", "Yield unit"): "The unit of the expected yield: bu (the crop's Kg per unit on Items), lb, ton ...",
    ("Fields", "Yield source"): "Where the expected yield comes from: county average (NASS), farm history ...",
    ("Fields", "Organic"): "Yes, Transition or No this season. Blank means Yes. Only Yes fields grow organic crop.",
    ("Fields", "Seed"): "The seed item sown (blank: the crop's own saved seed).",
    ("Fields", "Seeding rate"): "Seed sown per acre, in the Seed unit.",
    ("Fields", "Seed unit"): "Unit of the seeding rate (bu, lb ...).",
    ("Harvests", "Date"): "Day the load came off the field (the scale ticket's date).",
    ("Harvests", "Lot"): "The bin or lot the harvest went into; several loads of one field may share a lot.",
    ("Harvests", "Field"): "The field it was harvested from (on the Fields sheet).",
    ("Harvests", "Herd"): "For milk, eggs or wool: the herd it came from.",
    ("Harvests", "Organic"): "No for a buffer strip or any load harvested as conventional. Blank follows the field.",
    ("FarmUse", "Use"): "seed, feed, bedding or other.",
    ("FarmUse", "Lot"): "The lot (bin) it was taken from.",
    ("FarmUse", "Field"): "For seed: the field it was planted in.",
    ("FarmUse", "Herd"): "For feed: the herd it was fed to.",
    ("Applications", "Field"): "The field the input was applied to.",
    ("Applications", "Item"): "The input (compost, fertiliser, pest control, bought seed) from the Items sheet.",
}
_GENERIC_HELP = {
    "date": "A date: an Excel date, or text as YYYY-MM-DD.",
    "number": "A number.",
    "unit": "lb, kg, g, oz, t, ton, or the item's own unit (case, each ...) from the Items sheet.",
    "yesno": "Yes or No.",
}
_TEXT_HELP = {"Item": "An item from the Items sheet.", "Quantity": "How much, in the Unit of this row.",
              "Owner": "Owner of the stock, if not you.", "Location": "Where (blank: your own site).",
              "Reference": "Your document number (PO, invoice, bill of lading ...)."}

_WIDTHS = {"date": 12, "number": 12, "unit": 9, "yesno": 9}
_TEXT_WIDTHS = {"Item": 26, "Supplier": 24, "Customer": 28, "Certificate": 18, "Items covered": 40,
                "Lot": 16, "Supplier lot": 16, "Reference": 16, "Evidence": 30, "Certifier": 12,
                "Batch": 12, "Category": 14, "Location": 16, "Owner": 18, "From": 16, "To": 16,
                "Setting": 22, "Value": 14, "Kind": 13}


def column_help(table: str, column: str) -> str:
    spec = TABLES[table].column(column)
    return spec.help or HELP.get((table, column)) or _TEXT_HELP.get(column) or _GENERIC_HELP.get(spec.kind, "")


def write_template(path: str | Path, *, farm: bool = False) -> Path:
    """Write the empty input workbook (what `massbal new` gives a first-time user)."""
    return write_input_book(path, None, farm=farm)


def write_input_book(path: str | Path, tables: Mapping[str, pd.DataFrame] | None = None,
                     *, title: str = "massbal workbook", farm: bool = False) -> Path:
    """Write the input workbook layout, with `tables` (by schema table name) as its rows.

    tables[name] holds the schema's columns (missing ones stay blank); dates may be
    datetime64 columns, numbers float columns, and any cell may hold text (a mistake as
    typed). With no tables, each table gets a few blank rows and Settings its defaults.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # in_memory: XlsxWriter then stamps every zip member 1980-01-01 (not the temp files' mtime)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": title, "author": "massbal", "company": "", "created": DOC_DATE,
                       "comments": "Organic mass balance and lot traceability workbook"})
    wb.set_calc_mode("auto")
    fmt = _Formats(wb)
    _start_sheet(wb, fmt, farm)
    for spec in book_specs(farm):
        name = spec.name
        frame = None if tables is None else tables.get(name)
        if frame is None and name == "Settings":
            frame = pd.DataFrame(list(DEFAULT_SETTINGS), columns=["Setting", "Value"])
        _table_sheet(wb, fmt, spec, frame)
    for name, ref in {**NAMES, **(FARM_NAMES if farm else {})}.items():
        wb.define_name(name, ref)
    conf = wb.add_worksheet("xlwings.conf")
    for r, (key, value) in enumerate(XLWINGS_CONF):
        conf.write_string(r, 0, key)
        conf.write_string(r, 1, value)
    conf.hide()
    wb.worksheets()[0].activate()
    wb.close()
    return path


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.required = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F5C3A",
                                       "bottom": 2, "bottom_color": "#C0504D", "text_wrap": True,
                                       "valign": "vcenter"})
        self.optional = wb.add_format({"bold": True, "font_color": "#1F3A2A", "bg_color": "#DCEBDF",
                                       "text_wrap": True, "valign": "vcenter"})
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.number = wb.add_format({"num_format": "#,##0.###"})
        self.title = wb.add_format({"bold": True, "font_size": 18, "font_color": "#1F5C3A"})
        self.h2 = wb.add_format({"bold": True, "font_size": 13, "font_color": "#1F5C3A", "top": 1,
                                 "top_color": "#9BBB59"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.bold_wrap = wb.add_format({"text_wrap": True, "valign": "top", "bold": True})
        self.link = wb.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top", "bold": True})
        self.code = wb.add_format({"font_name": "Consolas", "text_wrap": True, "valign": "top",
                                   "bg_color": "#F2F2F2"})


def _print_setup(ws, repeat_header: bool) -> None:
    ws.set_landscape()
    ws.set_paper(1)  # US Letter: the users are US organic operations
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    if repeat_header:
        ws.repeat_rows(0)
    ws.set_header('&L&"-,Bold"&A&Rmassbal')
    ws.set_footer("&L&F&CPage &P of &N&R&D")
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)


def _width(name: str, kind: str, values: pd.Series | None) -> float:
    w = float(_WIDTHS.get(kind) or _TEXT_WIDTHS.get(name, 16))
    if values is not None and kind == "text" and len(values):
        longest = values.dropna().astype(str).str.len().max()
        if longest == longest:  # not NaN
            w = min(max(w, float(longest) + 2), 48.0)
    return max(w, len(name) + 4.0)


def _table_sheet(wb, fmt: _Formats, spec: TableSpec, frame: pd.DataFrame | None) -> None:
    ws = wb.add_worksheet(spec.name)
    cols = spec.columns
    nrows = BLANK_ROWS if frame is None or frame.empty else len(frame)
    for c, col in enumerate(cols):
        values = None if frame is None or col.name not in frame else frame[col.name]
        cell_fmt = fmt.date if col.kind == "date" else (fmt.number if col.kind == "number" else None)
        ws.set_column(c, c, _width(col.name, col.kind, values), cell_fmt)
    ws.add_table(0, 0, nrows, len(cols) - 1, {
        "name": spec.name,
        "style": "Table Style Light 9",
        "columns": [{"header": col.name, "header_format": fmt.required if col.required else fmt.optional}
                    for col in cols],
    })
    ws.set_row(0, 30)
    if frame is not None and not frame.empty:
        for c, col in enumerate(cols):
            if col.name in frame:
                _write_values(ws, c, frame[col.name], fmt.date if col.kind == "date" else None)
    for c, col in enumerate(cols):
        text = column_help(spec.name, col.name)
        if text:
            ws.write_comment(0, c, ("Required. " if col.required else "") + text,
                             {"author": "massbal", "x_scale": 2.2, "y_scale": 1.2})
    _validations(ws, spec)
    ws.freeze_panes(1, 0)
    _print_setup(ws, repeat_header=True)


def _write_values(ws, c: int, values: pd.Series, date_fmt) -> None:
    """One column: dates as Excel dates, numbers as numbers, text as text, blanks left empty."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(s):
        serial = (s - pd.Timestamp(EPOCH_1900)).dt.days.astype("float64")
        for r in np.flatnonzero(serial.notna().to_numpy()):
            ws.write_number(r + 1, c, float(serial.iat[r]), date_fmt)
        return
    for r, v in enumerate(s.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, str):
            ws.write_string(r + 1, c, v)
        elif isinstance(v, (bool, np.bool_)):
            ws.write_string(r + 1, c, "Yes" if v else "No")
        elif isinstance(v, (int, float, np.integer, np.floating)):
            ws.write_number(r + 1, c, float(v))
        elif isinstance(v, (dt.date, pd.Timestamp)):
            ws.write_datetime(r + 1, c, pd.Timestamp(v).to_pydatetime(), date_fmt)
        else:
            ws.write_string(r + 1, c, str(v))


def _validations(ws, spec: TableSpec) -> None:
    letters = {col.name: xl_col_to_name(i) for i, col in enumerate(spec.columns)}
    for c, col in enumerate(spec.columns):
        rule = _rule(spec.name, col.name, col.kind, col.choices, letters[col.name])
        if rule:
            rule.setdefault("error_type", "warning")
            rule.setdefault("ignore_blank", True)
            ws.data_validation(1, c, LAST_ROW, c, rule)


def _rule(table: str, name: str, kind: str, choices: tuple[str, ...], letter: str) -> dict | None:
    """The data validation of one column, or None. All warn and let the value stand:
    a compliance record is typed as it happened; massbal reports what is wrong with it."""
    if name == "Item" and table != "Items":
        return {"validate": "list", "source": "=ItemList", "error_title": "Item not on the Items sheet",
                "error_message": "This item is not on the Items sheet. Add it there (with its Kind and "
                                 "Unit), or pick it from the list."}
    if kind == "unit":
        return {"validate": "list", "source": list(COMMON_UNITS), "error_title": "Unit not in the common list",
                "error_message": "massbal accepts any unit of weight (lb, kg, g, oz, t, ton ...) and an item's "
                                 "own unit (case, each, bag ...) when the Items sheet gives its Kg per unit. "
                                 "Keep this value only if it is one of those."}
    if kind == "yesno":
        return {"validate": "list", "source": ["Yes", "No"], "error_title": "Yes or No",
                "error_message": "Type Yes or No."}
    if kind == "choice" and choices:
        return {"validate": "list", "source": list(choices), "error_title": f"Not a known {name}",
                "error_message": f"{name} is one of: {', '.join(choices)}."}
    if name == "Field" and table in ("Harvests", "FarmUse", "Applications"):
        return {"validate": "list", "source": "=FieldList", "error_title": "Field not on the Fields sheet",
                "error_message": "This field is not on the Fields sheet. Add it there with its crop, season, "
                                 "acres and expected yield, or pick it from the list."}
    if name in ("Crop", "Seed") and table == "Fields":
        return {"validate": "list", "source": "=ItemList", "error_title": "Not on the Items sheet",
                "error_message": "Add the crop or seed to the Items sheet (Kind Crop or Seed, with its unit)."}
    if name == "Batch" and table in ("BatchInputs", "Losses"):
        return {"validate": "list", "source": "=BatchList", "error_title": "Batch not on the Batches sheet",
                "error_message": "This batch is not on the Batches sheet. Record the run's output there first."}
    if name == "Lot" and table in ("BatchInputs", "Shipments", "Transfers", "Losses"):
        # A dropdown needs one range; lots come from two tables (Receipts and Batches), so
        # this checks the typed lot against both instead of offering a list.
        cell = f"{letter}2"
        return {"validate": "custom",
                "value": f"=COUNTIF(ReceiptLots,{cell})+COUNTIF(RunLots,{cell})>0",
                "error_title": "Lot not received or made",
                "error_message": "No receipt or run on the Receipts or Batches sheet has this lot. "
                                 "Check the lot number, or record the receipt first."}
    if name == "Supplier" and table == "Receipts":
        return {"validate": "list", "source": "=SupplierList", "error_title": "Supplier has no certificate",
                "error_message": "This supplier has no certificate on the Certificates sheet. That is fine "
                                 "for a conventional lot (Organic = No); an organic lot needs one."}
    if name == "Certificate" and table == "Receipts":
        return {"validate": "list", "source": "=CertificateList", "error_title": "Certificate not on file",
                "error_message": "This certificate is not on the Certificates sheet. Add it with its Valid to date."}
    if kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": dt.date(1990, 1, 1),
                "maximum": dt.date(2100, 12, 31), "error_title": "Not a date",
                "error_message": "Type a date, for example 2025-03-14."}
    if kind == "number":
        return {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "Not a number",
                "error_message": "Type a number (no unit in the cell: the unit goes in the Unit column)."}
    if table == "Settings" and name == "Setting":
        return {"validate": "list", "source": ["Operation", "Unit", "Tolerance %"], "error_title": "Setting",
                "error_message": "Known settings: Operation, Unit, Tolerance %, and Tolerance % <Category> "
                                 "(for example 'Tolerance % Nuts'). Keep this value if it is one of those."}
    return None


# ----------------------------------------------------------------------------------------
# The 'Start here' sheet (its words: start_text.py)

def _start_sheet(wb, fmt: _Formats, farm: bool = False) -> None:
    ws = wb.add_worksheet("Start here")
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 2, 44)
    ws.set_column(3, 3, 40)
    r = 0
    ws.write_string(r, 0, "massbal: organic mass balance", fmt.title)
    r += 2
    ws.merge_range(r, 0, r, 3, T.INTRO, fmt.wrap)
    ws.set_row(r, 48)
    r += 2
    ws.write_string(r, 0, "How to use it", fmt.h2)
    r += 1
    for step in T.STEPS:
        ws.merge_range(r, 0, r, 3, step, fmt.wrap)
        ws.set_row(r, 32)
        r += 1
    if farm:
        r += 1
        ws.write_string(r, 0, "On a farm", fmt.h2)
        r += 1
        for step in T.FARM_STEPS:
            ws.merge_range(r, 0, r, 3, step, fmt.wrap)
            ws.set_row(r, 32)
            r += 1
    r += 1
    ws.write_string(r, 0, "The tables", fmt.h2)
    r += 1
    for c, head in enumerate(("Sheet", "One row is", "Required columns", "Optional columns")):
        ws.write_string(r, c, head, fmt.bold_wrap)
    r += 1
    for spec in book_specs(farm):
        name = spec.name
        ws.write_url(r, 0, f"internal:'{name}'!A1", fmt.link, string=name)
        ws.write_string(r, 1, spec.row_is[0].upper() + spec.row_is[1:] + ".", fmt.wrap)
        ws.write_string(r, 2, ", ".join(spec.required), fmt.wrap)
        ws.write_string(r, 3, ", ".join(c.name for c in spec.columns if not c.required) or "-", fmt.wrap)
        ws.set_row(r, 32)
        r += 1
    r += 1
    ws.write_string(r, 0, "Good to know", fmt.h2)
    r += 1
    for head, text in T.NOTES:
        ws.write_string(r, 0, head, fmt.bold_wrap)
        ws.merge_range(r, 1, r, 3, text, fmt.wrap)
        ws.set_row(r, 15 * max(2, -(-len(text) // 110)))
        r += 1
    r += 1
    ws.write_string(r, 0, "Settings", fmt.h2)
    r += 1
    ws.merge_range(r, 0, r, 3, T.SETTINGS, fmt.wrap)
    ws.set_row(r, 32)
    _print_setup(ws, repeat_header=False)
    ws.fit_to_pages(1, 0)
    ws.set_landscape()
