"""What the ribbon buttons and xlwings Lite's scripts do, each given the workbook.

Desktop entry points (entry.py) and Lite scripts (addin/lite/main.py) both call these,
so a button behaves the same everywhere. They compute first and write once (the remote
engine Lite uses has no read-after-write), and tell the user in a sentence, never a
traceback.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from massbal.engine.api import prepare, reconcile_prepared

from . import functions as F
from .book_adapter import read_raw_book, write_results

log = logging.getLogger(__name__)
TITLE = "Mass Balance"


class UserMessage(Exception):
    """A problem the user can fix, said in their words."""


def _alert(book, text: str) -> None:
    try:
        book.app.alert(text, title=TITLE)
    except Exception:  # an engine without message boxes: the log still has it
        log.warning("%s", text)


def run_for_user(book, action: Callable, *args: Any) -> Any:
    """Run an action; any failure becomes one plain sentence in a message box."""
    try:
        return action(book, *args)
    except UserMessage as e:
        _alert(book, str(e))
    except Exception as e:  # never show a traceback to the user
        log.exception("massbal %s failed", getattr(action, "__name__", action))
        _alert(book, f"massbal could not finish: {e}. Nothing was changed in your input sheets.")
    return None


def _prepared(book):
    raw = read_raw_book(book)
    prep = prepare(raw)
    # Keep the worksheet functions in step with what the sheets now show.
    F.CACHE.store(book.name, raw, prepared=prep)
    return prep


def _summary(rec) -> str:
    b = rec.balances
    counts = b["status"].value_counts() if len(b) else {}
    errors = int((rec.findings["severity"] == "error").sum()) if len(rec.findings) else 0
    warnings = int((rec.findings["severity"] == "warning").sum()) if len(rec.findings) else 0
    parts = [f"{len(b)} balances: " + ", ".join(f"{int(n)} {s}" for s, n in counts.items())
             if len(b) else "No balances (no movements in the period)."]
    oversold = int((rec.supply["status"] == "OVERSOLD").sum()) if len(rec.supply) else 0
    if oversold:
        parts.append(f"{oversold} organic ingredients OVERSOLD: more went out than came in.")
    parts.append(f"{errors} errors and {warnings} warnings on the Exceptions sheet.")
    return "\n".join(parts)


def reconcile(book, start=None, end=None, item=None, period=None) -> Any:
    prep = _prepared(book)
    rec = reconcile_prepared(prep, start, end, item, period)
    orphaned = write_results(book, rec)
    text = _summary(rec)
    if orphaned:
        text += f"\n{orphaned} notes lost their row and were kept on the 'Orphaned notes' sheet."
    _alert(book, text)
    return rec


def validate_lots(book) -> Any:
    prep = _prepared(book)
    rec = reconcile_prepared(prep)
    write_results(book, rec, only=("Exceptions",))
    f = rec.findings
    if not len(f):
        _alert(book, "No problems found in the input sheets.")
    else:
        n_err = int((f["severity"] == "error").sum())
        _alert(book, f"{len(f)} findings ({n_err} errors) are listed on the Exceptions sheet, "
                     "each with the cell to fix.")
    return rec


def trace_lot(book, lot: str) -> Any:
    lot = (lot or "").strip()
    if not lot:
        raise UserMessage("Select a cell holding a lot, or type the lot to trace.")
    try:
        from massbal.engine.api import trace  # the engine's lot tree (CONTRACT section 4)
    except ImportError:
        raise UserMessage("Trace lot needs a newer massbal engine.") from None
    prep = _prepared(book)
    tree = trace(prep, lot)
    _alert(book, _trace_text(tree))
    return tree


def trace_selected_lot(book) -> Any:
    """Trace lot for the selected cell (xlwings Lite has no input box)."""
    try:
        cell = book.app.selection
        lot = cell.options(ndim=2).value[0][0] if cell is not None else None
    except Exception:
        lot = None
    if lot is None or (isinstance(lot, str) and not lot.strip()):
        raise UserMessage("Select the cell holding the lot to trace, then press Trace lot.")
    if isinstance(lot, float) and lot.is_integer():
        lot = int(lot)
    return trace_lot(book, str(lot))


def _trace_text(tree) -> str:
    data = tree if isinstance(tree, dict) else tree.model_dump() if hasattr(tree, "model_dump") else dict(tree)
    lines = [f"Lot {data.get('lot')} ({data.get('item')})", "Back to:"]
    for e in data.get("back", []) or ["(nothing)"]:
        lines.append("  " + (e if isinstance(e, str) else _entry_text(e)))
    lines.append("Forward to:")
    for e in data.get("forward", []) or ["(nothing)"]:
        lines.append("  " + (e if isinstance(e, str) else _entry_text(e)))
    return "\n".join(lines)


def _entry_text(e: dict) -> str:
    bits = [f"{e.get('lot')} {e.get('item')}", f"{e.get('quantity')}"]
    for k in ("batch", "supplier", "certificate", "customer"):
        if e.get(k):
            bits.append(f"{k} {e[k]}")
    return ", ".join(str(b) for b in bits)


def export_for_inspector(book) -> Any:
    path = getattr(book, "fullname", "")
    try:
        from massbal.io.export import export_book  # the inspector's copy (CONTRACT section 4)
    except ImportError:
        raise UserMessage("Export for inspector needs massbal's export module; use "
                          "'massbal export' from a command prompt.") from None
    if not path or not str(path).lower().endswith((".xlsx", ".xlsm")):
        raise UserMessage("Save the workbook first: the inspector's copy is made from the saved file.")
    out = export_book(path)
    _alert(book, f"The inspector's copy is at {out}.")
    return out


def add_input_tables(book) -> list[str]:
    """Add an empty Excel Table for every input table the workbook lacks (Lite's
    'New workbook': Lite cannot open a new file). Existing sheets are left alone."""
    from massbal.engine.schema import TABLES, table_key

    have = {table_key(t.name) for s in book.sheets for t in s.tables}
    have |= {table_key(s.name) for s in book.sheets}
    added = []
    for name, spec in TABLES.items():
        if table_key(name) in have:
            continue
        sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        headers = [c.name for c in spec.columns]
        sheet.range((1, 1)).value = [headers]
        sheet.tables.add(source=sheet.range((1, 1), (2, len(headers))), name=name,
                         table_style_name="TableStyleMedium2")
        added.append(name)
    _alert(book, ("Added the input tables: " + ", ".join(added) + ".") if added
           else "Every input table is already in this workbook.")
    return added


def new_workbook(app) -> Any:
    import tempfile
    from pathlib import Path

    try:
        from massbal.template import write_template
    except ImportError:
        raise UserMessage("New workbook needs massbal's template module.") from None
    target = Path(tempfile.mkdtemp(prefix="massbal-")) / "Mass balance.xlsx"
    write_template(target)
    return app.books.open(str(target))
