"""A realistic small operation for the Excel tests: oats and almonds bought, granola made,
shipped, counted monthly, with a co-packer's customer-owned stock beside its own."""
from __future__ import annotations

from bookkit import certified, count, loss, receipt, run, ship, use


def granola_tables() -> dict[str, list[dict]]:
    return {
        "Items": [
            {"Item": "Oats", "Kind": "Ingredient", "Category": "Grains", "Unit": "lb"},
            {"Item": "Almonds", "Kind": "Ingredient", "Category": "Nuts", "Tolerance %": 3},
            {"Item": "Granola", "Kind": "Product", "Unit": "case", "Kg per unit": 4.5359237},
        ],
        "Certificates": [certified("Prairie Mills", "CERT-PM"), certified("Valley Nuts", "CERT-VN")],
        "Receipts": [
            receipt("2025-10-02", "Oats", "OAT-1", 2000, supplier="Prairie Mills", cert="CERT-PM"),
            receipt("2025-10-05", "Almonds", "ALM-1", 400, supplier="Valley Nuts", cert="CERT-VN"),
            receipt("2025-11-03", "Oats", "OAT-2", 1000, unit="kg", supplier="Prairie Mills", cert="CERT-PM"),
            receipt("2025-11-04", "Almonds", "ALM-2", 300, supplier="Valley Nuts", cert="CERT-VN",
                    Owner="Acme"),
        ],
        "Batches": [run("B-101", "2025-10-10", "Granola", "GR-1", 120, unit="case"),
                    run("B-102", "2025-11-12", "Granola", "GR-2", 200, unit="case")],
        "BatchInputs": [use("B-101", "Oats", "OAT-1", 500), use("B-101", "Almonds", "ALM-1", 120),
                        use("B-102", "Oats", "OAT-2", 900), use("B-102", "Almonds", "ALM-1", 150)],
        "Shipments": [ship("2025-10-20", "Granola", "GR-1", 100, unit="case"),
                      ship("2025-11-25", "Granola", "GR-2", 150, unit="case")],
        "Losses": [loss("2025-11-15", "Oats", 20, Reason="spoilage", Lot="OAT-2")],
        "Counts": [count("2025-10-31", "Oats", 1495), count("2025-10-31", "Almonds", 280),
                   count("2025-11-30", "Oats", 2780), count("2025-11-30", "Almonds", 125),
                   count("2025-11-30", "Almonds", 300, Owner="Acme")],
    }
