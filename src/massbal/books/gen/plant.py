"""Planted problems: what real books hold, each recorded where a user would find it.

Two sorts:
- conditions that really happened (a lot received under an expired certificate, a
  conventional lot used in an organic run, a bad run, stock lost without a record);
- typing mistakes (a lot that never arrived, 1,000 lb keyed as 100, '1,2OO', 'lbz', a
  blank required cell). These change only the written tables, never the true ledger,
  so the month-end counts (taken from the true stock) show what they did.
Every plant adds a manifest entry naming the cell that holds it and the cell where the
engine should report it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from massbal.engine.schema import TABLES
from massbal.xlref import column_letter

from .book import Tables
from .catalog import PLANT, YEAR, day


@dataclass
class Planted:
    id: str
    kind: str  # mistake | condition | consequence
    code: str  # the finding the engine should raise
    sheet: str
    column: str
    note: str
    value: object = None  # what the cell holds
    intended: object = None  # what a correct book would hold there
    finding_sheet: str | None = None  # where the finding is reported, when not at the cell itself
    finding_column: str | None = None
    row: int | None = None
    cell: str | None = None
    finding_row: int | None = None
    finding_cell: str | None = None
    _id: int | None = field(default=None, repr=False)
    _finding_id: int | None = field(default=None, repr=False)

    def public(self) -> dict:
        d = asdict(self)
        d.pop("_id")
        d.pop("_finding_id")
        for k in ("value", "intended"):
            d[k] = _plain(d[k])
        return d


def _plain(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v


def _letter(table: str, column: str) -> str:
    names = [c.name for c in TABLES[table].columns]
    return column_letter(names.index(column) + 1)


def _pick(frame: pd.DataFrame, mask, what: str) -> int:
    idx = np.flatnonzero(np.asarray(mask))
    if len(idx) == 0:
        raise LookupError(f"the generated book has no {what} to plant a problem on")
    return int(idx[0])


class Planter:
    def __init__(self, tb: Tables, rng: np.random.Generator):
        self.tb, self.t, self.rng = tb, tb.tables, rng
        self.entries: list[Planted] = []

    def add(self, table: str, pos: int, column: str, **kw) -> Planted:
        p = Planted(sheet=table, column=column, _id=int(self.t[table]["_id"].iat[pos]), **kw)
        self.entries.append(p)
        return p

    # -- conditions (before the counts are taken)
    def conditions(self) -> None:
        r = self.t["Receipts"]
        cert = {c[1]: c for c in self.tb.catalog.certificates}
        expiry = pd.Timestamp(cert["QAI-BH-3381"][5])
        i = _pick(r, (r["Item"] == "Honey") & (r["Date"] > expiry), "honey receipt after the Bee Haven expiry")
        r.iat[i, r.columns.get_loc("Supplier")] = "Bee Haven Apiaries"
        r.iat[i, r.columns.get_loc("Certificate")] = "QAI-BH-3381"
        self.add("Receipts", i, "Date", id="cert_expired", kind="condition", code="CERT_EXPIRED",
                 value=r["Date"].iat[i], note="Honey received from Bee Haven Apiaries after its certificate "
                 f"QAI-BH-3381 expired on {expiry.date()}.")

        i = _pick(r, (r["Item"] == "Rolled oats") & r["Owner"].isna() & (r["Date"] >= _d(5, 1)),
                  "own oats receipt from May on")
        r.iat[i, r.columns.get_loc("Supplier")] = "Northern Plains Seed"
        r.iat[i, r.columns.get_loc("Certificate")] = "OTCO-NP-1187"
        self.add("Receipts", i, "Item", id="cert_scope", kind="condition", code="CERT_SCOPE", value="Rolled oats",
                 note="Rolled oats bought from Northern Plains Seed, whose certificate covers only "
                 "sunflower seed in-shell and flax seed.")

        bi = self.t["BatchInputs"]
        used_lots = set(bi.loc[bi["Item"] == "Almonds", "Lot"])
        i = _pick(r, (r["Item"] == "Almonds") & (r["Date"] >= _d(6, 1)) & r["Lot"].isin(used_lots),
                  "almond receipt used in a run")
        r.iat[i, r.columns.get_loc("Organic")] = "No"
        r.iat[i, r.columns.get_loc("Certificate")] = None
        lot = r["Lot"].iat[i]
        uses = np.flatnonzero((bi["Lot"] == lot).to_numpy())
        self.add("Receipts", i, "Organic", id="conventional_lot", kind="condition", code="COMMINGLED",
                 value="No", finding_sheet="BatchInputs", finding_column="Lot", _finding_id=int(bi["_id"].iat[uses[0]]),
                 note=f"A conventional lot of almonds ({lot}); each organic run that uses it is COMMINGLED, "
                      "reported at its BatchInputs row (the first is named here).")
        for j in uses:
            self.add("BatchInputs", int(j), "Lot", id="commingled", kind="condition", code="COMMINGLED",
                     value=lot, note=f"Organic run {bi['Batch'].iat[j]} used conventional almond lot {lot}.")

        self._runs()
        self._shortfall()

    def _runs(self) -> None:
        """The run gone wrong and the runs whose process loss nobody recorded."""
        b = self.t["Batches"]
        runs = self.tb.runs
        first_row = b.drop_duplicates("Batch")
        pos_of = pd.Series(np.flatnonzero(~b.duplicated("Batch").to_numpy()), index=first_row["Batch"].to_numpy())
        lo = self.t["Losses"]
        documented = set(lo["Batch"].dropna())
        outlier = next(p for p in self.tb.catalog.processes if p.outlier is not None)
        cl = runs[runs["process"] == outlier.output]
        bad_run = cl.iloc[int(np.argmin(np.abs(cl["day"].to_numpy() - outlier.outlier[0])))]
        bad_batch = bad_run["batch"]
        self.add("Batches", int(pos_of[bad_batch]), "Quantity", id="yield_outlier", kind="condition",
                 code="YIELD_OUTLIER", value=b["Quantity"].iat[int(pos_of[bad_batch])],
                 note=f"Run {bad_batch} of {outlier.output} yielded {outlier.outlier[1]:.0%} (burnt batch); "
                      "its usual yield is near " f"{outlier.yield_base:.0%}.")
        # undocumented process loss: every run with no Losses row naming it
        in_kg = self._run_kg("BatchInputs")
        out_kg = self._run_kg("Batches")
        for batch in first_row["Batch"]:
            if batch in documented:
                continue
            loss = in_kg.get(batch, 0.0) - out_kg.get(batch, 0.0)
            if loss > 0.006 * in_kg.get(batch, 0.0):
                self.add("Batches", int(pos_of[batch]), "Batch", id="undocumented_loss", kind="condition",
                         code="UNDOCUMENTED_LOSS", value=batch,
                         note=f"Run {batch} lost {loss / 0.45359237:,.1f} lb and no Losses row names it.")

    def _run_kg(self, table: str) -> dict:
        from .book import kg_of
        t = self.t[table]
        return pd.Series(kg_of(t, self.tb.catalog), index=t.index).groupby(t["Batch"].to_numpy()).sum().to_dict()

    def _shortfall(self) -> None:
        """Raisins lost in August and never written down: the count shows it."""
        truth = self.tb.truth
        end = _d(8, 31)
        m = (truth["Item"] == "Raisins") & (truth["Location"] == PLANT) & truth["Owner"].isna() & (truth["Date"] <= end)
        book = truth.loc[m, "kg"].sum()
        lost = round(0.05 * book, 3)
        self.tb.truth = pd.concat([truth, pd.DataFrame({"Date": [end], "Item": ["Raisins"], "Location": [PLANT],
                                                        "Owner": [None], "kg": [-lost]})], ignore_index=True)
        self.shortfall = ("Raisins", end, lost)

    # -- after the counts
    def locate_shortfall(self) -> None:
        item, end, lost = self.shortfall
        c = self.t["Counts"]
        i = _pick(c, (c["Item"] == item) & (c["Date"] == end) & (c["Location"] == PLANT) & c["Owner"].isna(),
                  "raisin count at the end of August")
        self.add("Counts", i, "Quantity", id="count_variance", kind="condition", code="VARIANCE_OVER_TOLERANCE",
                 value=c["Quantity"].iat[i], note=f"{lost / 0.45359237:,.0f} lb of raisins spoiled in August and "
                 "were thrown out without a Losses row; the count is about 5% under the books (tolerance 3%).")

    def mistakes(self) -> None:
        s = self.t["Shipments"]
        taken: set[int] = set()
        lots = set(self.t["Receipts"]["Lot"]) | set(self.t["Batches"]["Lot"])

        # a lot that never arrived: a granola lot number with a date no run had
        ok = (s["Item"] == "Granola 12oz") & ~s["Reference"].str.startswith("SAMPLE") & (s["Date"] >= _d(4, 1))
        i = _pick(s, ok, "granola shipment")
        taken.add(i)
        real = s["Lot"].iat[i]
        ghost = next(g for g in (f"GRN-{(pd.Timestamp(YEAR, 1, 1) + pd.Timedelta(days=int(k))):%y%m%d}-A"
                                 for k in range(day(4, 1), 365)) if g not in lots)
        s.iat[i, s.columns.get_loc("Lot")] = ghost
        self.add("Shipments", i, "Lot", id="unknown_lot", kind="mistake", code="UNKNOWN_LOT", value=ghost,
                 intended=real, note=f"Shipment of a granola lot that never arrived ({ghost}); it was lot {real}.")

        # 1,000 lb keyed as 100 lb
        q = pd.to_numeric(s["Quantity"], errors="coerce")
        ok = (s["Item"] == "Quinoa cleaned") & (q == 1000) & (s["Date"] >= _d(3, 1)) & (s["Date"] <= _d(10, 31))
        i = _pick(s, ok, "1,000 lb quinoa shipment")
        taken.add(i)
        s["Quantity"] = s["Quantity"].astype(object)
        s.iat[i, s.columns.get_loc("Quantity")] = 100.0
        self.miskey = self.add("Shipments", i, "Quantity", id="miskeyed_sale", kind="mistake",
                               code="VARIANCE_OVER_TOLERANCE", value=100.0, intended=1000.0,
                               finding_sheet="Counts", finding_column="Quantity",
                               note="A 1,000 lb sale of cleaned quinoa keyed as 100 lb: the month-end count is "
                                    "900 lb under the books.")

        # a quantity typed as text
        ok = (s["Item"] == "Sunflower hulls") & (q % 100 == 0) & (q >= 1000)
        prefer = ok & (q == 1200)
        i = _pick(s, prefer if prefer.any() else ok, "hull shipment of whole hundreds")
        taken.add(i)
        typed = f"{int(q.iat[i]):,}".replace("0", "O")
        s.iat[i, s.columns.get_loc("Quantity")] = typed
        self.text_qty = self.add("Shipments", i, "Quantity", id="text_quantity", kind="mistake", code="BAD_QUANTITY",
                                 value=typed, intended=float(q.iat[i]),
                                 note=f"Quantity typed as text with letter O for zeros ('{typed}').")

        # a blank required cell: a sample handed out with no lot written down
        ok = (s["Item"] == "Granola 12oz") & s["Reference"].str.startswith("SAMPLE") & ~s.index.isin(taken)
        i = _pick(s, ok, "granola sample shipment")
        real = s["Lot"].iat[i]
        s.iat[i, s.columns.get_loc("Lot")] = None
        self.add("Shipments", i, "Lot", id="blank_lot", kind="mistake", code="MISSING_VALUE", value=None,
                 intended=real, note="A sample shipment with no lot written down.")

        # an unknown unit
        lo = self.t["Losses"]
        ok = (lo["Item"] == "Raisins") & lo["Batch"].isna() & (lo["Unit"] == "lb")
        i = _pick(lo, ok, "raisin stock loss in lb")
        lo.iat[i, lo.columns.get_loc("Unit")] = "lbz"
        self.add("Losses", i, "Unit", id="unknown_unit", kind="mistake", code="BAD_UNIT", value="lbz",
                 intended="lb", note="Unit typed 'lbz'.")

        from .plant_slips import plant_slips  # the slips the Investigations sheet names
        plant_slips(self, taken)

    # -- rows and cells in the final tables
    def resolve(self, tables: dict[str, pd.DataFrame], cat) -> list[Planted]:
        """Fill in rows and cells now that the tables are in their final order, and add the
        month-end counts that planted typing mistakes throw out of tolerance."""
        from .audit import monthly
        pos = {name: pd.Series(np.arange(len(t)), index=t["_id"].to_numpy()) for name, t in tables.items()}
        for p in self.entries:
            p.row = int(pos[p.sheet][p._id]) + 2
            p.cell = f"{_letter(p.sheet, p.column)}{p.row}"
            if p._finding_id is not None:
                p.finding_row = int(pos[p.finding_sheet][p._finding_id]) + 2
                p.finding_cell = f"{_letter(p.finding_sheet, p.finding_column)}{p.finding_row}"
        month = monthly(tables, cat)
        over = month[month["over"]]
        explained = set()  # (item, month) of variances already in the manifest
        for p in self.entries:
            src = tables[p.sheet].iloc[p.row - 2]
            if p.sheet == "Counts" and p.code == "VARIANCE_OVER_TOLERANCE":
                explained.add((src["Item"], pd.Timestamp(src["Date"]).month))
            elif p.finding_sheet == "Counts":  # a mistake that shows at the month-end count
                key = (src["Item"], pd.Timestamp(src["Date"]).month)
                if key not in set(zip(over["Item"], over["month"], strict=True)):
                    raise AssertionError(f"planted {p.id} does not put {key[0]} out of tolerance in month {key[1]}")
                p.finding_row = self._count_row(tables, *key, "")
                p.finding_cell = f"{_letter('Counts', p.finding_column)}{p.finding_row}"
                explained.add(key)
                if p.column == "Date" and p.intended is not None:  # the month it left is off too
                    explained.add((src["Item"], pd.Timestamp(p.intended).month))
        # rows the engine cannot read leave the books short of a movement: the count shows it
        causes = {}
        for p in self.entries:
            if p.kind == "mistake" and p.column in ("Quantity", "Unit") and p.finding_sheet is None:
                src = tables[p.sheet].iloc[p.row - 2]
                causes[(src["Item"], pd.Timestamp(src["Date"]).month)] = p.id
        for o in over.itertuples(index=False):
            key = (o.Item, int(o.month))
            if key in explained:
                continue
            if key not in causes:
                raise AssertionError(f"{key} is out of tolerance and nothing planted explains it")
            row = self._count_row(tables, o.Item, int(o.month), o.Owner)
            c = tables["Counts"]
            self.entries.append(Planted(
                id=f"{causes[key]}_variance", kind="consequence", code="VARIANCE_OVER_TOLERANCE", sheet="Counts",
                column="Quantity", value=c["Quantity"].iat[row - 2], row=row,
                cell=f"{_letter('Counts', 'Quantity')}{row}",
                note=f"The row left out by '{causes[key]}' puts {o.Item} {o.variance_pct:+.1f}% off its count "
                     f"in month {int(o.month)} (tolerance {o.tolerance:g}%)."))
        return self.entries

    @staticmethod
    def _count_row(tables, item: str, month: int, owner: str) -> int:
        c = tables["Counts"]
        end = pd.Timestamp(YEAR, month, 1) + pd.offsets.MonthEnd(0)
        return _pick(c, (c["Item"] == item) & (pd.to_datetime(c["Date"]) == end) & (c["Owner"].fillna("") == owner),
                     f"count of {item} on {end.date()}") + 2


def _d(month: int, dom: int) -> pd.Timestamp:
    return pd.Timestamp(YEAR, month, dom)
