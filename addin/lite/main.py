"""massbal in xlwings Lite: the MASSBAL worksheet functions and the Mass Balance buttons.

Paste this file into xlwings Lite's main.py and requirements.txt beside it (see
addin/README.md). Everything here is a thin decorator over massbal.excel, the code the
desktop add-in runs too, so Lite and desktop give the same figures and sheets.
"""
import xlwings as xw
# xlwings.server holds Lite's decorators whatever XLWINGS_ON_SERVER says, so this file
# behaves the same in Lite and in the tests that run it through xlwings' call paths.
from xlwings.server import Caller, arg, func, script

from massbal.excel import actions
from massbal.excel import functions as F
from massbal.excel import lite

_ITEM = F.ARG_DOCS["item"]
_START = F.ARG_DOCS["start_date"]
_END = F.ARG_DOCS["end_date"]
_OWNER = F.ARG_DOCS["owner"]


def _figure(name, item, start_date, end_date, owner, caller):
    return lite.figure(name, item, start_date, end_date, owner, caller.book_name)


# ---------------------------------------------------------------- functions
# One per figure of the Balance sheet (and supply unaccounted). Volatile, because Excel
# cannot see that they depend on the input tables; see massbal.excel.lite.

@func(name="MASSBAL", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Expected ending balance of an item over a period: beginning + received + produced - used - shipped - losses."""
    return _figure("MASSBAL", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.BEGINNING", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_beginning(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Beginning balance: the last count before the period, rolled forward to its start."""
    return _figure("MASSBAL_BEGINNING", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.RECEIVED", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_received(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Quantity received in the period (Receipts)."""
    return _figure("MASSBAL_RECEIVED", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.PRODUCED", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_produced(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Quantity produced in the period (Batches)."""
    return _figure("MASSBAL_PRODUCED", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.USED", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_used(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Quantity used by production runs in the period (BatchInputs)."""
    return _figure("MASSBAL_USED", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.SHIPPED", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_shipped(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Quantity shipped in the period (Shipments)."""
    return _figure("MASSBAL_SHIPPED", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.LOSSES", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_losses(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Stock losses in the period (Losses rows without a Batch)."""
    return _figure("MASSBAL_LOSSES", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.COUNTED", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_counted(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Physical count on the period's end date; empty when there is none."""
    return _figure("MASSBAL_COUNTED", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.VARIANCE", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_variance(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Counted ending minus expected ending (negative: less on hand than the books)."""
    return _figure("MASSBAL_VARIANCE", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.VARIANCE_PCT", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_variance_pct(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Variance as a percentage of the expected ending (1.5 means 1.5 %)."""
    return _figure("MASSBAL_VARIANCE_PCT", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.STATUS", volatile=True)
@arg("item", doc=_ITEM)
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_status(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Status of the balance: PASS, INVESTIGATE, NEGATIVE or NO COUNT."""
    return _figure("MASSBAL_STATUS", item, start_date, end_date, owner, caller)


@func(name="MASSBAL.UNACCOUNTED", volatile=True)
@arg("item", doc="Organic ingredient, as on the Items sheet.")
@arg("start_date", doc=_START)
@arg("end_date", doc=_END)
@arg("owner", doc=_OWNER)
def massbal_unaccounted(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
    """Organic supply of an ingredient not accounted for (below zero: more went out than came in)."""
    return _figure("MASSBAL_UNACCOUNTED", item, start_date, end_date, owner, caller)


# ---------------------------------------------------------------- buttons

@script(name="Reconcile")
def reconcile(book: xw.Book):
    """Balance every item, check supply, yields and lots; write the five result sheets."""
    actions.run_for_user(book, actions.reconcile)


@script(name="Validate lots")
def validate_lots(book: xw.Book):
    """List every problem in the input sheets on the Exceptions sheet."""
    actions.run_for_user(book, actions.validate_lots)


@script(name="Trace lot")
def trace_lot(book: xw.Book):
    """Trace the lot in the selected cell back to its receipts and forward to its customers."""
    actions.run_for_user(book, actions.trace_selected_lot)


@script(name="Export for inspector")
def export_for_inspector(book: xw.Book):
    """The inspector's copy is a file: made by the desktop add-in or 'massbal export'."""
    actions.run_for_user(book, actions.export_for_inspector)


@script(name="New workbook")
def new_workbook(book: xw.Book):
    """Add every missing input table to this workbook, ready to fill in."""
    actions.run_for_user(book, actions.add_input_tables)


@script(name="massbal_check")
def massbal_check(book: xw.Book):
    """Run by the MASSBAL functions themselves: refresh their ledger when the tables changed."""
    lite.check(book)
