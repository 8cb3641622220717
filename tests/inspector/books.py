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
