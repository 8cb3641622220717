"""The cover of the inspector's copy: what it is, the settings and conversion factors used,
the version, the time, and the fingerprint a later copy is checked against."""
from __future__ import annotations

import pandas as pd

from massbal import __version__
from massbal.engine.load import MOVEMENT_TABLES
from massbal.engine.units import kg_factors, report_factor, unit_info
from massbal.inspector.crop import cover_yields, is_farm
from massbal.inspector.data import Meta
from massbal.inspector.livestock import GUIDE as LIVESTOCK_GUIDE

from .xlsx_report import Col, Sheet


def cover_sheet(s: Sheet, m: Meta, names, trace_names, src_names, print_copy: bool) -> tuple[Sheet, int, int]:
    st = m.prep.book.settings
    rec = m.rec
    items = m.prep.book.items
    bal_status = rec.balances["status"].value_counts().to_dict() if len(rec.balances) else {}
    sup_status = rec.supply["status"].value_counts().to_dict() if len(rec.supply) else {}
    errors = int((rec.findings["severity"] == "error").sum()) if len(rec.findings) else 0
    own_tol = items[items["tolerance_pct"].notna() & items["listed"] &
                    (items["tolerance_pct"] != st.tolerance_pct)]
    s.pairs([
        ("Operation", m.operation),
        ("Source workbook", m.source or "(not recorded)"),
        ("Period", m.period_text),
        ("Items", m.item or f"all items ({len(rec.balances['item'].unique()) if len(rec.balances) else 0} with movements)"),
        ("Lots traced", ", ".join(f"{t.lot} ({t.item})" for t in m.traces) or "none asked"),
        ("Report unit", st.unit),
        ("Default tolerance %", st.tolerance_pct),
        ("Tolerance % by category", ", ".join(f"{k}: {v:g}" for k, v in st.category_tolerance.items()) or "none"),
        ("Balances", ", ".join(f"{k}: {v}" for k, v in sorted(bal_status.items())) or "none"),
        ("Supply balances", ", ".join(f"{k}: {v}" for k, v in sorted(sup_status.items())) or "none"),
        ("Errors found", errors),
    ])
    fp_row = s.row
    s.put(fp_row, 0, "Fingerprint (SHA-256)", s.report.f["bold"])
    s.row += 1
    # beside the fingerprint, not inside it: it fingerprints the data, the same for two
    # exports of an unchanged book
    for label, value in (("massbal version", __version__),
                         ("Generated", f"{m.now:%Y-%m-%d %H:%M:%S}")):  # text: LibreOffice rounds a time of day
        s.put(s.row, 0, label, s.report.f["bold"])
        s.beside(s.row, 1, value)
        s.row += 1
    s.put(s.row, 0, "How to check this copy", s.report.f["bold"])
    s.beside(s.row, 1, f"Run: massbal verify \"{m.out_name}\"  (it recomputes the fingerprint from every cell "
                       "but the version and time above, and names any cell that changed since export)")
    s.row += 2
    s.table("Tolerances", [Col("Item", own_tol["item"].tolist(), "text", 22),
                           Col("Tolerance %", own_tol["tolerance_pct"].tolist(), "pct", 12)], len(own_tol),
            caption="Items whose tolerance is not the default", repeat=False)
    conv = _conversions(m)
    s.table("Conversions", [Col(h, conv[h].tolist(), k, w) for h, k, w in
                            (("Unit as typed", "text", 22), ("Item", "text", 18),
                             (f"{st.unit} per unit", "share", 14), ("Source", "text", 70))], len(conv),
            caption="Conversion factors used", repeat=False)
    if is_farm(m):
        cover_yields(s, m)
    guide = [*([(names["Dashboard"], "Charts: stock against counts, organic supply, yield per run")]
               if "Dashboard" in names else []),
             (names["Balance"], "Stock balance of each item and period (live formulas)"),
             (names["Supply"], "Organic supply balance of each ingredient (live formulas)"),
             (names["Supply by item"], "The supply balance split by the item holding the ingredient"),
             (names["Yield"], "Each production run: input, output, loss, yield"),
             *[(names[k], w) for k, w in LIVESTOCK_GUIDE.items() if k in names],
             (names["Exceptions"], "Every problem found, with the row to look at"),
             *([(names["Crop"], "Crop balance of each crop and season, A to G (live formulas)"),
                (names["Harvest"], "Each field's harvest against acres x expected yield (live formulas)")]
               if is_farm(m) else []),
             *[(n, f"Trace of lot {t.lot}: back to receipts, forward to customers") for n, t in zip(trace_names, m.traces, strict=True)],
             *([(names["FSMA 204"], "Critical tracking events of the traced lots")] if m.traces else []),
             (names["Certificates"], "Suppliers' certificates and the receipts under them"),
             (names["Ledger"], f"Every movement behind the figures ({len(m.data.ledger)} rows)"),
             *[(n, f"Source rows as typed: {t}") for t, n in src_names.items()]]
    s.table("Contents", [Col("Sheet", [g[0] for g in guide], "text", 22),
                         Col("What it holds", [g[1] for g in guide], "text", 70)], len(guide),
            caption="Sheets", repeat=False)
    s.ws.set_column(0, 0, 24)
    s.ws.set_column(1, 1, 70)
    return s, fp_row, 1


def _conversions(m: Meta) -> pd.DataFrame:
    """Every (unit, item) pair the copy's rows use, its factor and where it comes from."""
    book = m.prep.book
    parts = []
    for t in MOVEMENT_TABLES:
        f = book.tables[t]
        if len(f):
            parts.append(f[["unit", "item_key"]])
    if not parts:
        return pd.DataFrame(columns=["Unit as typed", "Item", f"{book.settings.unit} per unit", "Source"])
    u = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    items = book.items
    item_units = {k: v for k, v in zip(items["item_key"], items["unit"], strict=True) if isinstance(v, str) and v.strip()}
    kpu = {k: float(v) for k, v in zip(items["item_key"], items["kg_per_unit"], strict=True) if pd.notna(v)}
    conv = kg_factors(u["unit"], u["item_key"], item_units, kpu)
    rf = report_factor(book.settings.unit)
    u = u.assign(factor=conv.factor * rf)
    u = u[u["factor"].notna()]
    items_row = items["_row"] if "_row" in items else pd.Series(dtype=float)

    def source(unit: str, item_key: str) -> tuple[str, str]:  # one call per distinct pair
        info = unit_info(str(unit))
        if info.kind == "mass":
            return "(any)", f"pint: 1 {unit} = {info.to_kg:.10g} kg (international definition)"
        r = items_row.get(item_key)
        where = f"Items sheet, row {int(r)}" if r is not None and pd.notna(r) else "Items sheet"
        return str(items["item"].get(item_key, item_key)), f"{where}: Kg per unit {kpu.get(item_key, float('nan')):g}"
    pairs = [source(a, b) for a, b in zip(u["unit"], u["item_key"], strict=True)]
    # mass units are the same for every item: shown once
    out = pd.DataFrame({"Unit as typed": u["unit"].astype(str).to_numpy(), "Item": [p[0] for p in pairs],
                        f"{book.settings.unit} per unit": u["factor"].to_numpy(), "Source": [p[1] for p in pairs]})
    return out.drop_duplicates(["Unit as typed", "Item"]).sort_values(["Item", "Unit as typed"]).reset_index(drop=True)
