"""The engine's front door: every face (CLI, ribbon, worksheet functions, Lite, export)
calls this, and nothing else of the engine does work for a face.

`prepare` does the work that does not depend on the period (reading, ledger, genealogy,
checks) once; `reconcile` and the worksheet functions then ask it for any period;
`trace_lots` and `recall` follow lots through it.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from massbal.engine.farm.crop import farm_input_findings, is_farm
from massbal.engine.farm.farm_result import crop_figures
from massbal.engine.farm.livestock import livestock_results, prepare_livestock

from . import findings as F
from .balance import compute_balances
from .certificates import receipt_certificates
from .checks import certificate_findings, commingled_findings, duplicate_lot_findings, lot_findings, name_variant_findings
from .genealogy import build_genealogy, equivalents
from .ledger import build_ledger
from .load import load_book
from .periods import PeriodKind, data_span, split
from .prepared import Prepared
from .rawbook import RawBook
from .result import Reconciliation
from .runs import compute_yields
from .supply import STOCK_KINDS, supply_figures, supply_roll, supply_terms
from .supply import _owner_names as ledger_owner_names
from .trace.model import AmbiguousLot, LotTrace, Recall
from .trace.recall import recall_of
from .trace.tracer import Tracer


def prepare(raw: RawBook, today: date | None = None) -> Prepared:
    book = load_book(raw)
    ledger, f_ledger = build_ledger(book)
    gen, f_gen = build_genealogy(book, ledger)
    yields, f_yield = compute_yields(book, ledger)
    lv = prepare_livestock(book)
    certs = receipt_certificates(book, ledger)
    found = F.combine([
        lv.findings if lv else None,
        book.findings, f_ledger, f_gen, f_yield,
        lot_findings(book, ledger),
        duplicate_lot_findings(book, ledger),
        name_variant_findings(book, ledger),
        certificate_findings(book, certs, pd.Timestamp(today) if today else None),
        commingled_findings(book, ledger),
    ] + ([farm_input_findings(book)] if is_farm(book) else []))
    return Prepared(book, ledger, gen, yields, found, certs, livestock=lv)


def periods_for(prep: Prepared, start=None, end=None, period: PeriodKind | None = None
                ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """CONTRACT section 4: without from/to the whole span of the data, by month; with
    either, one period unless --period says otherwise. The span starts at the first
    movement: counts before it (a farm's bins counted on 31 December, a handler's stock on
    the day it starts using massbal) are opening counts, where the books begin, and only
    give the first period its beginning."""
    given = start is not None or end is not None
    kind: PeriodKind = period or ("all" if given else "month")
    dates, counted = prep.ledger["date"], (prep.ledger["kind"] == "count").to_numpy()
    if prep.livestock is not None and len(prep.livestock.herds.animals):  # a herd's events are data too
        animals = prep.livestock.herds.animals
        dates = pd.concat([dates, animals["date"]], ignore_index=True)
        counted = np.concatenate([counted, (animals["event"] == "count").to_numpy()])
    span = data_span(dates, kind)
    if start is None or end is None:
        if span is None:
            today = pd.Timestamp.today().normalize()
            span = (today, today)
        moved = data_span(dates[~counted], kind)
        # ... unless a --to before the first movement asks for the opening counts themselves
        if moved is not None and (end is None or pd.Timestamp(end) >= moved[0]):
            span = (moved[0], span[1])
        start = start if start is not None else span[0]
        end = end if end is not None else span[1]
    return split(pd.Timestamp(start), pd.Timestamp(end), kind)


def reconcile_prepared(prep: Prepared, start=None, end=None, item: str | None = None,
                       period: PeriodKind | None = None, by_item: bool = False) -> Reconciliation:
    """by_item: keep the supply's equivalents and roll on `prep` for one supply_by_item of
    the same periods (the inspector's export asks it next: it is the same roll)."""
    periods = periods_for(prep, start, end, period)
    keys = None
    if item:
        code = prep.book.code("item", item)
        if code is None:
            import difflib
            names = [str(n) for n in prep.book.items["item"]]
            close = difflib.get_close_matches(item, names, n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"there is no item named {item!r} in this workbook.{hint}")
        keys = {code}
    balances, f_bal = balance_rows(prep, periods, keys)
    supply, f_sup, terms = supply_with_terms(prep, periods, keys, keep=by_item)
    yields = prep.yields
    lo, hi = periods[0][0], periods[-1][1]
    if len(yields):
        in_span = (yields["date"] >= lo) & (yields["date"] <= hi)
        yields = yields[in_span.to_numpy()]
    yields = yields.reset_index(drop=True)  # numbered from 0 (compute_yields indexes them by run key)
    # section 7: the cells that would close each flagged figure, and drifts month on month
    from massbal.engine.investigate.trend import monthly_balances, trend_findings

    from .investigate.balances import explain
    inv = explain(prep, periods, balances, supply, terms)
    f_trend = trend_findings(prep.book, prep.ledger, monthly_balances(prep.book, prep.ledger, balances, periods, keys,
                                                                         prep.openings))
    crop, fields, f_crop = crop_figures(prep.book, prep.ledger, periods, keys)
    farm = livestock_results(prep.livestock, periods) if prep.livestock else None
    findings = F.combine([prep.findings, f_bal, f_sup, f_trend, f_crop, farm.findings if farm else None])
    settings = prep.book.settings.model_dump()
    return Reconciliation(prep.unit, [(p[0].date(), p[1].date()) for p in periods],
                          balances, supply, yields, findings, prep.ledger, settings, inv, crop=crop, fields=fields,
                          **({"herds": farm.herds, "feed": farm.feed, "pasture": farm.pasture} if farm else {}))


def balance_rows(prep: Prepared, periods, keys=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Balance rows (and their findings) of the given periods; keys: item codes, or all.
    Reconcile and the worksheet functions both ask this, so a cell and the sheet agree."""
    return compute_balances(prep.book, prep.ledger, periods, keys, openings=prep.openings)


def supply_rows(prep: Prepared, periods, keys=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Supply rows (and their findings) of the given periods, as balance_rows."""
    return supply_with_terms(prep, periods, keys)[:2]


def supply_with_terms(prep: Prepared, periods, keys=None, keep: bool = False
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """supply_rows and the supply_terms they are summed from: the investigations start
    from the book's terms rather than roll the flagged ingredients' stock again. keep: the
    equivalents and roll (all ingredients only) kept for supply_by_item of these periods;
    not by default, as they are large and a workbook's Prepared lives long."""
    rolled = supply_roll(prep.ledger, prep.genealogy, periods, keys, openings=prep.openings)
    if keep and keys is None:
        prep.cache["supply_roll"] = (_periods_key(periods), rolled)
    terms = supply_terms(prep.ledger, prep.genealogy, periods, keys, rolled=rolled)
    del rolled
    return (*supply_figures(prep.book, prep.ledger, terms), terms)


def _periods_key(periods) -> tuple:
    return tuple((pd.Timestamp(s), pd.Timestamp(e)) for s, e in periods)


def supply_by_item(prep: Prepared, periods) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The supply balance before compute_supply sums it over items (the inspector's
    'Supply by item'): per ingredient, item holding it, owner and period, the same roll
    with its clipped figures (held_open, on_hand, short), or None when nothing holds an
    ingredient; and the ingredient equivalents of every ledger row it is rolled from
    (`_i` is the ledger row), of which the export shows each row's share."""
    # a row without a lot holds what its item's stock held that day: from the whole ledger.
    # The same roll as the Supply rows' (supply_roll), kept by reconcile_prepared(by_item=True)
    kept = prep.cache.pop("supply_roll", None)
    if kept is not None and kept[0] == _periods_key(periods):
        eq, g = kept[1]
    else:
        eq, g = equivalents(prep.ledger, prep.genealogy, STOCK_KINDS + ("count",)), None
    if eq.empty:  # nothing holds an ingredient
        return None, eq
    if g is None:
        g = supply_roll(prep.ledger, prep.genealogy, periods, openings=prep.openings, eq=eq)[1]
    # compute_supply's rules: stock is never below zero; what the books sent below zero is 'short'
    g["on_hand"] = g["counted_end"].where(g["counted_end"].notna(), g["book_end"]).clip(lower=0.0)
    g["held_open"] = g["beginning"].clip(lower=0.0)
    g["short"] = (-g["book_end"]).clip(lower=0.0) + (-g["beginning"]).clip(lower=0.0)
    return g, eq


def owner_names(prep: Prepared) -> pd.Series:
    """Owner code -> name, as the engine's Balance and Supply rows show it."""
    return ledger_owner_names(prep.ledger)


def reconcile(raw: RawBook, start=None, end=None, item: str | None = None,
              period: PeriodKind | None = None, today: date | None = None) -> Reconciliation:
    return reconcile_prepared(prepare(raw, today), start, end, item, period)


def trace_lots(prep: Prepared, lots: str | Iterable[str], item: str | None = None, *,
               item_if_present: bool = False) -> list[LotTrace]:
    """Each lot back to its receipts and forward to its customers. A lot number that several
    items use is traced for each, unless `item` says which (with item_if_present, only for
    lots that item has: the export's item filter). A batch number stands for its output
    lots. Raises LotNotFound (a LookupError with a plain sentence)."""
    t0 = time.perf_counter()
    tracer = Tracer(prep)
    out: list[LotTrace] = []
    for lot in [lots] if isinstance(lots, str) else lots:
        narrow = item
        if item is not None and item_if_present:
            try:
                tracer.find(lot, item)
            except LookupError:
                narrow = None
        out += [tracer.trace_pair(p, t0) for p in tracer.find(lot, narrow)]
    return out


def recall(prep: Prepared, lot: str, item: str | None = None, started: float | None = None) -> Recall:
    """A mock recall of one lot; `started` is when the clock started (before reading the
    book, for a recall's real time). Raises LotNotFound, or AmbiguousLot when the lot
    number belongs to several items and `item` does not say which."""
    t0 = started if started is not None else time.perf_counter()
    traces = trace_lots(prep, lot, item)
    if len(traces) > 1:
        raise AmbiguousLot(lot, [t.item for t in traces])
    return recall_of(traces[0], t0)
