"""Books that open with a count (CONTRACT section 2, "an opening count establishes a lot"),
for the engine's and the inspector's tests."""
from bookkit import book, certified, receipt
from bookkit import count as h_count
from bookkit import ship as h_ship
from farmkit import count, crop_item, farm_book, farm_use, field, harvest, ship


def quinoa_book(**tables):
    """A handler that starts using massbal on 10 March with 5,000 lb of quinoa on hand."""
    t = dict(
        Items=[{"Item": "Quinoa", "Kind": "Ingredient"}], Certificates=[certified(valid_from="2024-01-01")],
        Counts=[h_count("2025-03-10", "Quinoa", 5000, Lot="Q-OPEN"), h_count("2025-03-31", "Quinoa", 6000),
                h_count("2025-04-30", "Quinoa", 5000)],
        Shipments=[h_ship("2025-03-12", "Quinoa", "Q-OPEN", 3000), h_ship("2025-04-08", "Quinoa", "Q1", 1000)],
        Receipts=[receipt("2025-03-15", "Quinoa", "Q1", 4000)],
    )
    t.update(tables)
    return book(**{k: v for k, v in t.items() if v})


def wheat_book():
    # the contract's wheat example: bins counted on 31 December 2024, before anything moved
    return farm_book(
        Items=[crop_item("Wheat")],
        Fields=[field("N40", "Wheat", 2025, 40, 45)],
        Counts=[count("2024-12-31", "Wheat", 12000, Lot="W24"), count("2025-12-31", "Wheat", 20000)],
        Harvests=[harvest("2025-07-20", "Wheat", "W25-N40", 110400, field="N40")],
        Shipments=[ship("2025-08-10", "Wheat", "W25-N40", 95000)],
        Losses=[dict(Date="2025-08-01", Item="Wheat", Quantity=2400, Unit="lb", Lot="W25-N40", Reason="cleaning")],
        FarmUse=[farm_use("2025-09-20", "Wheat", 5000, "seed", Lot="W25-N40")],
    )


