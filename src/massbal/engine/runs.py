"""Per production run: input, output, process loss, documented loss and yield."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import findings as F
from .frames import group_heads
from .ledger import kinds_in
from .load import Book
from .roll import group_sums

UNDOCUMENTED_MIN_PCT = 0.5  # of input: below this, an undocumented loss is rounding
OUTLIER_MIN_RUNS = 4  # a product needs this many runs before one can stand out
OUTLIER_MIN_POINTS = 3.0  # yield % points: smaller deviations are normal variation


def compute_yields(book: Book, ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    # the sums from every run row; the names only from the output rows (the run's heads),
    # not copied for its half a million inputs
    runs = ledger.loc[kinds_in(ledger["kind"], RUN_KINDS), ["kind", "batch_key", "qty"]]
    if runs.empty:
        cols = ["batch", "product", "date", "owner", "input", "output", "process_loss",
                "documented_loss", "undocumented_loss", "yield_pct"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), F.empty()
    out_rows = ledger.loc[(ledger["kind"] == "produced").to_numpy(),
                          ["batch_key", "batch", "date", "owner", "row", "item", "item_key"]]
    heads = group_heads(out_rows, "batch_key", batch=("batch", "first"), date=("date", "min"),
                        owner=("owner", "first"), row=("row", "first"), product=("item", "first"),
                        product_key=("item_key", "first"))
    # runs with co-products name them all: a run has several products where an output row's
    # item is not its run's first (item keys are never missing)
    other = out_rows["item_key"].to_numpy() != heads["product_key"].reindex(out_rows["batch_key"]).to_numpy()
    co = heads.index[heads.index.isin(out_rows["batch_key"].to_numpy()[other])]
    if len(co):
        names = out_rows[out_rows["batch_key"].isin(co)].drop_duplicates(["batch_key", "item_key"]) \
            .groupby("batch_key", sort=False)["item"].agg(lambda s: ", ".join(s.astype(str)))
        heads.loc[names.index, "product"] = names
    y = heads.assign(**_run_sums(runs, heads.index.to_numpy()))
    y = y[y["used"] > 0]  # a batch with no recorded inputs has no yield (and no run loss)
    res = pd.DataFrame({
        "batch": y["batch"], "product": y["product"], "date": y["date"], "owner": y["owner"],
        "input": y["used"], "output": y["produced"],
    })
    res["process_loss"] = res["input"] - res["output"]
    res["documented_loss"] = y["process loss"]
    res["undocumented_loss"] = res["process_loss"] - res["documented_loss"]
    res["yield_pct"] = (100.0 * res["output"] / res["input"]).round(2)
    for c in ("input", "output", "process_loss", "documented_loss", "undocumented_loss"):
        res[c] = res[c].round(6) + 0.0  # no -0.0 in reports
    res["_row"] = y["row"]
    res["_product_key"] = y["product_key"]
    res = res.sort_values(["date", "batch"], kind="stable")
    found = _yield_findings(book, res)
    # indexed by each run's key (`batch_key`, as group_heads left it): the investigations
    # read it there (slips.run_yields) rather than look a hundred thousand names up again;
    # reconcile shows the rows numbered from 0
    return res.drop(columns=["_row", "_product_key"]), found


RUN_KINDS = ("used", "produced", "process loss")


def _run_sums(runs: pd.DataFrame, batches: np.ndarray) -> dict[str, np.ndarray]:
    """Each of `batches`' sum of qty per kind of RUN_KINDS (0.0 where it has no row of the
    kind): the pivot table of batch x kind, each (batch, kind) summed by pandas' group sum
    over its rows in ledger order (roll.group_sums on one integer), so the same sums; looked
    up for the batches asked (every one has a row: its output) rather than pivoted and joined."""
    kind = runs["kind"]
    k = np.select([(kind == RUN_KINDS[0]).to_numpy(), (kind == RUN_KINDS[1]).to_numpy()], [0, 1], 2)
    b = runs["batch_key"].to_numpy(dtype=np.int64)
    lo = int(min(b.min(), batches.min())) if len(b) and len(batches) else 0
    at, sums = group_sums((b - lo) * len(RUN_KINDS) + k, runs["qty"].to_numpy(dtype=float))
    out = {}
    for i, name in enumerate(RUN_KINDS):
        want = (batches.astype(np.int64) - lo) * len(RUN_KINDS) + i
        pos = np.minimum(np.searchsorted(at, want), max(len(at) - 1, 0))
        hit = at[pos] == want if len(at) else np.zeros(len(want), dtype=bool)
        out[name] = np.where(hit, sums[pos] if len(at) else 0.0, 0.0)
    return out


def yield_outliers(y: pd.DataFrame, key: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(odd, typical) per run of y: whether its yield stands far from the same product's
    other runs (key: the product), against their median and robust spread (MAD), and
    that median. Runs that made more than went in are judged on their own (a gain)."""
    normal = y["output"] <= y["input"] + 0.005
    yn, kn = y[normal], key[normal]
    grp = yn.groupby(kn)["yield_pct"]
    n = grp.transform("size")
    med = grp.transform("median")
    mad = (yn["yield_pct"] - med).abs().groupby(kn).transform("median")
    limit = np.maximum(4.0 * 1.4826 * mad, OUTLIER_MIN_POINTS)
    odd = (n >= OUTLIER_MIN_RUNS) & ((yn["yield_pct"] - med).abs() > limit)
    return odd.reindex(y.index, fill_value=False).astype(bool), med.reindex(y.index)


def _yield_findings(book: Book, y: pd.DataFrame) -> pd.DataFrame:
    sheet, unit = book.sheets["Batches"], book.settings.unit
    out = []
    und = y[(y["undocumented_loss"] > UNDOCUMENTED_MIN_PCT / 100 * y["input"]) & (y["undocumented_loss"] > 0.005)]
    # messages in one plain loop each (one a run: tens of thousands in a big book, where
    # a Series operation per piece of text cost more than the rest of the yields), the
    # amounts formatted a column at a time (F.amounts)
    if len(und):
        msgs = [f"Batch {b} used {i} {unit} and made {o} {unit}; {u} {unit} of that loss is not "
                "documented. Record it on the Losses sheet with this Batch and a Reason (process, cleaning ...)."
                for b, i, o, u in zip(_texts(und["batch"]), F.amounts(und["input"]), F.amounts(und["output"]),
                                      F.amounts(und["undocumented_loss"]), strict=True)]
        out.append(F.make("warning", "UNDOCUMENTED_LOSS", sheet, und["_row"].to_numpy(), "Batch",
                          book.letter("Batches", "Batch"), msgs))
    gain = y[y["output"] > y["input"] + 0.005]
    if len(gain):
        msgs = [f"Batch {b} made more ({o} {unit}) than went into it ({i} {unit}): a yield of {p:.1f} %. "
                "An input is probably missing from BatchInputs, or an output quantity is keyed too high."
                for b, o, i, p in zip(_texts(gain["batch"]), F.amounts(gain["output"]), F.amounts(gain["input"]),
                                      gain["yield_pct"].tolist(), strict=True)]
        out.append(F.make("warning", "YIELD_OUTLIER", sheet, gain["_row"].to_numpy(), "Quantity",
                          book.letter("Batches", "Quantity"), msgs))
    odd_mask, med = yield_outliers(y, y["_product_key"])
    odd = y[odd_mask]
    if len(odd):
        msgs = [f"Batch {b} yielded {p:.1f} %, far from the {m:.1f} % typical of {prod} runs. "
                "Check its input and output quantities."
                for b, p, m, prod in zip(_texts(odd["batch"]), odd["yield_pct"].tolist(), med[odd.index].tolist(),
                                         _texts(odd["product"]), strict=True)]
        out.append(F.make("warning", "YIELD_OUTLIER", sheet, odd["_row"].to_numpy(), "Quantity",
                          book.letter("Batches", "Quantity"), msgs))
    # not sorted here: prepare sorts every finding once (F.combine, stable), and no two of
    # these share a row and column (each at its run's own row: undocumented losses in the
    # Batch column; gains and outliers in Quantity, a gain never judged an outlier), so
    # their order there does not depend on their order here
    out = [f for f in out if len(f)]
    return pd.concat(out, ignore_index=True) if out else F.empty()


def _texts(col: pd.Series) -> list:
    """A name column's values as the text a message quotes (as Series.astype(str) reads
    them; batch and item are required cells, so none is missing here). Where every value
    is text already (as read: the usual case), they are the texts themselves (not made a
    text column and back: 70k runs' names)."""
    values = col.to_numpy()
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.tolist()
    return col.astype(str).tolist()
