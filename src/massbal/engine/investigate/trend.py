"""VARIANCE_TREND (CONTRACT section 7): a count off the books by more than `Trend %` in
`Trend months` or more consecutive months, even when each month is within tolerance.
A steady drift is a yield or conversion assumption that is off, or a loss nobody
records, and it hides inside a tolerance that each month passes."""
from __future__ import annotations

import pandas as pd

from massbal.engine import findings as F
from massbal.engine.balance import KEY, compute_balances, owner_phrase
from massbal.engine.load import Book
from massbal.engine.periods import split


def _monthly(periods) -> bool:
    return all(s.day == 1 and e == s + pd.offsets.MonthEnd(0) for s, e in periods)


def monthly_balances(book: Book, ledger: pd.DataFrame, balances: pd.DataFrame, periods,
                     item_keys: set | None, openings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The balances by calendar month: those computed already when the periods are months.
    openings: Prepared.openings (else found again from the ledger)."""
    if _monthly(periods):
        return balances
    months = split(periods[0][0], periods[-1][1], "month")
    return compute_balances(book, ledger, months, item_keys, openings=openings)[0]


def trend_findings(book: Book, ledger: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    st = book.settings
    b = monthly[monthly["variance_pct"].notna()].sort_values(KEY + ["start"], kind="stable")
    if b.empty:
        return F.empty()
    over = b["variance_pct"].abs() > st.trend_pct
    month_no = b["start"].dt.year * 12 + b["start"].dt.month
    # a new run starts at another item, a month that is not over, or a month missing
    new = (b[KEY] != b[KEY].shift()).any(axis=1) | ~over | (month_no - month_no.shift() != 1) | \
        ~over.shift(fill_value=False)
    run = new.cumsum()
    b = b.assign(_run=run, _over=over)[over.to_numpy()]
    size = b.groupby("_run")["_run"].transform("size")
    b = b[(size >= st.trend_months).to_numpy()]
    if b.empty:
        return F.empty()
    out = []
    counts = ledger.loc[(ledger["kind"] == "count").to_numpy(), KEY + ["date", "row"]]
    for _, grp in b.groupby("_run", sort=True):
        last = grp.iloc[-1]
        months = ", ".join(f"{s:%Y-%m} {p:+.2f} %" for s, p in zip(grp["start"], grp["variance_pct"], strict=True))
        passing = (grp["status"] == "PASS").all()
        row = counts[(counts["item_key"] == last["item_key"]) & (counts["owner_key"] == last["owner_key"]) &
                     (counts["date"] == last["end"])]["row"]
        msg = (f"{last['item']}{owner_phrase(pd.Series([last['owner']])).iat[0]} was off its count by more than "
               f"{st.trend_pct:g} % in {len(grp)} months running ({months})"
               + (f", though each month is within its {last['tolerance_pct']:g} % tolerance" if passing else "")
               + ". A steady drift is usually a yield or unit conversion that is off, or a loss nobody records: "
               "investigate it before it grows.")
        out.append(F.make("warning", "VARIANCE_TREND", book.sheets["Counts"],
                          int(row.iat[0]) if len(row) else None, "Quantity",
                          book.letter("Counts", "Quantity"), msg))
    return F.combine(out)

