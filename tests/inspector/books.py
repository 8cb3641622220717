"""Small books for the inspector tests, built as RawBooks the way a reader hands them over.

`granola()` is a three-level book with a split lot (oats O1 into two runs), merged lots
(oats + honey into one run; granola base GB1 made by two runs), a run with two output
lots (G1, G2), a transfer between locations, a stock loss, a run loss on the Losses
sheet, an expired certificate and a shipment with no customer.
"""
from massbal.engine.rawbook import RawBook, RawTable

T = RawTable.from_records


def granola(extra_shipments=(), extra_receipts=(), extra_counts=()) -> RawBook:
    return RawBook({
        "Items": T("Items", ["Item", "Kind", "Organic", "Category", "Unit", "Kg per unit"], [
            ["Oats", "Ingredient", "Yes", "Grains", None, None],
            ["Honey", "Ingredient", "Yes", "Sweeteners", None, None],
            ["Almonds", "Ingredient", "Yes", "Nuts", None, None],
            ["Granola base", "Intermediate", "Yes", None, None, None],
            ["Granola", "Product", "Yes", None, "case", 4.5359237],  # a case of 10 lb
        ]),
        "Certificates": T("Certificates", ["Supplier", "Certificate", "Certifier", "Items covered", "Valid from", "Valid to"], [
            ["Prairie Farms", "CCOF-111", "CCOF", "Oats", "2024-01-01", "2026-06-30"],
            ["BeeCo", "QAI-222", "QAI", "", "2023-01-01", "2025-01-31"],
            ["Nutty Inc", "OTCO-333", "OTCO", "Almonds", "2024-01-01", "2026-12-31"],
        ]),
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Supplier lot", "Certificate", "Location", "Reference"], [
            ["2025-03-01", "Oats", "O1", 2000, "lb", "Prairie Farms", "PF-9001", "CCOF-111", "Plant", "PO-1"],
            ["2025-03-01", "Oats", "O2", 1000, "lb", "Prairie Farms", "PF-9002", "CCOF-111", "Plant", "PO-2"],
            ["2025-03-01", "Honey", "H1", 300, "lb", "BeeCo", "BC-77", "QAI-222", "Plant", "PO-3"],
            ["2025-03-02", "Almonds", "A1", 500, "lb", "Nutty Inc", "NI-5", "OTCO-333", "Plant", "PO-4"],
            *extra_receipts,
        ]),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit", "Location"], [
            ["B1", "2025-03-03", "Granola base", "GB1", 1300, "lb", "Plant"],
            ["B2", "2025-03-04", "Granola base", "GB1", 1100, "lb", "Plant"],
            ["B3", "2025-03-06", "Granola", "G1", 100, "case", "Plant"],
            ["B3", "2025-03-06", "Granola", "G2", 700, "lb", "Plant"],
            ["B4", "2025-03-07", "Granola", "G3", 780, "lb", "Plant"],
        ]),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"], [
            ["B1", "Oats", "O1", 1200, "lb"], ["B1", "Honey", "H1", 200, "lb"],
            ["B2", "Oats", "O1", 800, "lb"], ["B2", "Oats", "O2", 400, "lb"],
            ["B3", "Granola base", "GB1", 1500, "lb"], ["B3", "Almonds", "A1", 300, "lb"],
            ["B4", "Granola base", "GB1", 600, "lb"], ["B4", "Almonds", "A1", 200, "lb"],
        ]),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer", "Location", "Reference"], [
            ["2025-03-10", "Granola", "G1", 60, "case", "Whole Foods", "Plant", "INV-1"],
            ["2025-03-11", "Granola", "G1", 40, "case", "Costco", "Plant", "INV-2"],
            ["2025-03-11", "Granola", "G2", 700, "lb", "Whole Foods", "Plant", "INV-3"],
            ["2025-03-12", "Granola", "G3", 500, "lb", "Sprouts", "Warehouse", "INV-4"],
            ["2025-03-12", "Granola base", "GB1", 100, "lb", None, "Plant", "INV-5"],
            *extra_shipments,
        ]),
        "Losses": T("Losses", ["Date", "Item", "Quantity", "Unit", "Lot", "Reason", "Batch", "Location"], [
            ["2025-03-03", "Granola base", 100, "lb", None, "process", "B1", "Plant"],
            ["2025-03-13", "Granola", 20, "lb", "G3", "spoilage", None, "Warehouse"],
        ]),
        "Transfers": T("Transfers", ["Date", "Item", "Lot", "Quantity", "Unit", "From", "To"], [
            ["2025-03-08", "Granola", "G3", 600, "lb", "Plant", "Warehouse"],
        ]),
        "Counts": T("Counts", ["Date", "Item", "Quantity", "Unit", "Lot", "Location"], [
            ["2025-03-31", "Oats", 600, "lb", "O2", "Plant"],
            ["2025-03-31", "Granola base", 200, "lb", "GB1", "Plant"],
            *extra_counts,
        ]),
        "Settings": T("Settings", ["Setting", "Value"], [["Unit", "lb"], ["Operation", "Sunrise Granola Co"]]),
    })


def copacker() -> RawBook:
    """Two months, split into monthly periods: counts at the end of February open March,
    a co-packer's customer-owned stock (Owner) beside its own, kg and case units, a
    conventional lot, and two items whose names a careless SUMIFS would confuse
    ('Flax*' is a wildcard for 'Flaxseed')."""
    return RawBook({
        "Items": T("Items", ["Item", "Kind", "Organic", "Unit", "Kg per unit", "Tolerance %"], [
            ["Flax*", "Ingredient", "Yes", None, None, 3],
            ["Flaxseed", "Ingredient", "Yes", None, None, None],
            ["Oat flour", "Ingredient", "Yes", None, None, None],
            ["Crackers", "Product", "Yes", "case", 2, None],
        ]),
        "Certificates": T("Certificates", ["Supplier", "Certificate", "Valid to"], [
            ["Linseed Co", "PCO-1", "2027-01-01"], ["Mill", "MOSA-9", "2027-01-01"]]),
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Certificate", "Organic", "Owner"], [
            ["2025-02-03", "Flax*", "F1", 500, "kg", "Linseed Co", "PCO-1", None, None],
            ["2025-02-03", "Flaxseed", "X1", 300, "lb", "Linseed Co", "PCO-1", None, None],
            ["2025-02-04", "Oat flour", "M1", 2000, "lb", "Mill", "MOSA-9", None, None],
            ["2025-02-05", "Oat flour", "M2", 1000, "lb", "Mill", "MOSA-9", None, "Acme Brands"],
            ["2025-03-02", "Flaxseed", "X2", 200, "lb", "Farm Co", None, "No", None],
            ["2025-03-03", "Flax*", "F2", 100, "kg", "Linseed Co", "PCO-1", None, None],
        ]),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit", "Owner"], [
            ["R1", "2025-02-10", "Crackers", "C1", 200, "case", None],
            ["R2", "2025-03-10", "Crackers", "C2", 150, "case", None],
            ["R3", "2025-03-12", "Crackers", "CA1", 150, "case", "Acme Brands"],
        ]),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"], [
            ["R1", "Flax*", "F1", 200, "kg"], ["R1", "Oat flour", "M1", 700, "lb"],
            ["R2", "Flax*", "F1", 150, "kg"], ["R2", "Flax*", "F2", 50, "kg"], ["R2", "Oat flour", "M1", 500, "lb"],
            ["R3", "Oat flour", "M2", 800, "lb"],
        ]),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer", "Owner"], [
            ["2025-02-20", "Crackers", "C1", 120, "case", "Sprouts", None],
            ["2025-03-15", "Crackers", "C1", 70, "case", "Sprouts", None],
            ["2025-03-20", "Crackers", "C2", 100, "case", "Kroger", None],
            ["2025-03-25", "Crackers", "CA1", 150, "case", "Acme Brands", "Acme Brands"],
            ["2025-03-25", "Flaxseed", "X1", 100, "lb", "Bakery", None],
        ]),
        "Losses": T("Losses", ["Date", "Item", "Quantity", "Unit", "Lot", "Reason", "Batch"], [
            ["2025-02-10", "Crackers", 10, "kg", None, "process", "R1"],
            ["2025-03-05", "Oat flour", 25, "lb", "M1", "spoilage", None],
        ]),
        "Counts": T("Counts", ["Date", "Item", "Quantity", "Unit", "Lot", "Owner"], [
            ["2025-02-28", "Flax*", 300, "kg", "F1", None],
            ["2025-02-28", "Oat flour", 1290, "lb", "M1", None],
            ["2025-02-28", "Oat flour", 1000, "lb", "M2", "Acme Brands"],
            ["2025-02-28", "Crackers", 80, "case", "C1", None],
            ["2025-03-31", "Oat flour", 760, "lb", "M1", None],
            ["2025-03-31", "Crackers", 60, "case", "C2", None],
            ["2025-03-31", "Flaxseed", 390, "lb", None, None],
        ]),
        "Settings": T("Settings", ["Setting", "Value"], [["Unit", "lb"], ["Tolerance %", 2],
                                                          ["Operation", "Prairie Crackers & Co"]]),
    })


def to_xlsx(raw: RawBook, path):
    """Write a RawBook as a real workbook (the template's layout: one Excel Table per input)."""
    import pandas as pd

    from massbal.books.template import write_input_book
    tables = {name: pd.DataFrame(t.data.to_numpy(), columns=list(t.headers)) for name, t in raw.tables.items()}
    return write_input_book(path, tables)


def odd_names() -> RawBook:
    """Names a spreadsheet criterion reads as something else: a leading < or =, wildcards,
    the escape character; an owner with a wildcard; one name a prefix of another."""
    rows = [["2025-04-01", "<5mm grits", "L1", 100, "lb", None], ["2025-04-01", "Oats*", "L2", 200, "lb", None],
            ["2025-04-02", "Oats", "L3", 300, "lb", None], ["2025-04-02", "=Rye", "L4", 50, "lb", "Acme*"],
            ["2025-04-03", "Seeds?Mix", "L5", 70, "lb", None], ["2025-04-03", "SeedsXMix", "L6", 80, "lb", None],
            ["2025-04-04", "Nuts~1", "L7", 9, "lb", None], ["2025-04-04", "=Rye", "L8", 5, "lb", "Acme"]]
    return RawBook({
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit", "Owner"], rows),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer", "Owner"], [
            ["2025-04-10", "Oats*", "L2", 20, "lb", "A", None], ["2025-04-10", "=Rye", "L4", 10, "lb", "B", "Acme*"]]),
        "Counts": T("Counts", ["Date", "Item", "Quantity", "Unit", "Owner"], [
            ["2025-04-30", "Oats", 300, "lb", None], ["2025-04-30", "=Rye", 40, "lb", "Acme*"]]),
    })


def numeric_names() -> RawBook:
    """Names Excel's SUMIFS would read as numbers: items '0012' and '12' (equal as numbers),
    batches '007' and '7', a certificate '1e3', digits past the 15th (issue 14)."""
    rows = [["2025-05-01", "0012", "A1", 100, "lb", "Farm", "1e3"], ["2025-05-01", "12", "A2", 40, "lb", "Farm", "1000"],
            ["2025-05-02", "1234567890123456789", "A3", 7, "lb", "Farm", "1e3"],
            ["2025-05-02", "1234567890123456780", "A4", 3, "lb", "Farm", "1e3"]]
    return RawBook({
        "Certificates": T("Certificates", ["Supplier", "Certificate", "Valid to"],
                          [["Farm", "1e3", "2030-01-01"], ["Farm", "1000", "2030-01-01"]]),
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Certificate"], rows),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"],
                     [["007", "2025-05-03", "Mix", "M1", 50, "lb"], ["7", "2025-05-04", "Mix", "M2", 20, "lb"]]),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"],
                         [["007", "0012", "A1", 60, "lb"], ["7", "12", "A2", 30, "lb"]]),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer"],
                       [["2025-05-10", "Mix", "M1", 50, "lb", "Shop"], ["2025-05-10", "0012", "A1", 10, "lb", "Shop"]]),
    })
