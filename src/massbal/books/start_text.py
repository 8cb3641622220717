"""The words of the template's 'Start here' sheet (books.template lays them out).

Kept apart from the layout code so the text can be edited as text; a change here changes
the committed template, which tests/template_demo checks byte for byte.
"""

INTRO = (
    "This workbook is your organic mass balance and lot record. Type what happened on the "
    "sheets to the right, one row per event, then press Reconcile on the massbal ribbon "
    "(or run 'massbal reconcile' on this file). massbal adds the sheets Balance, Supply, "
    "Yield, Exceptions and Ledger; it never changes what you typed."
)
STEPS = (
    "1. Items: list every item you buy, make or sell, once. Give a Kind and, for items counted in "
    "cases, each, bags, totes, bushels or gallons, the Unit and Kg per unit.",
    "2. Certificates: each supplier's organic certificate with its Valid to date.",
    "3. Every day: Receipts (material in), Batches and BatchInputs (what each run made and used), "
    "Shipments (out), Losses (documented waste), Transfers (between your locations).",
    "4. At least each month end: Counts (what is physically on hand at the end of that day).",
    "5. Reconcile, then read Exceptions first: each row names the sheet, row and column to fix.",
)
NOTES = (
    ("Required columns", "Headers in dark green with a red underline are required; light green "
     "ones are optional. Hover over a header for what to type. Columns may be in any order, and "
     "you may add columns of your own."),
    ("Adding rows", "Type in the first empty row under a table: Excel extends the table. Keep the "
     "table names (Items, Receipts ...): massbal finds your data by them."),
    ("Units", "Each row has its own Unit. Weights convert directly: lb, kg, g, oz, t (metric ton), "
     "ton (short ton), long ton. Other units (case, each, bag, tote, bushel, gallon ...) convert "
     "only for an item whose Items row has that Unit and its Kg per unit: a case of granola is not a "
     "case of bars. An unknown unit is reported at its cell, never guessed. Results are in the "
     "Settings Unit (lb unless you change it)."),
    ("Dates", "Type real dates (the cells show YYYY-MM-DD); text such as 2025-03-14 is accepted too. "
     "A count is taken at the end of its day. Periods run from their first to their last day, both "
     "included."),
    ("Lots", "A lot exists once it is received, made by a run, or counted. Give each delivery and "
     "each run output its own lot number. The Lot columns of BatchInputs, Shipments, Transfers and "
     "Losses warn when a lot is on neither Receipts nor Batches (Excel cannot offer lots from two "
     "sheets as one dropdown)."),
    ("Organic and conventional", "Mark a conventional lot Organic = No on its receipt. It never "
     "counts as organic supply, and using it in a run that makes an organic product is reported as "
     "COMMINGLED. Items in category Salt or Water are non-agricultural and exempt."),
    ("Process loss", "What a run loses (moisture, hulls, screenings) is its inputs minus its "
     "outputs. Record it on Losses with the Batch filled in to document it; a Losses row without a "
     "Batch is a loss from stock."),
    ("Tolerance", "A month whose count differs from the books by more than the tolerance is marked "
     "INVESTIGATE. Tolerance % comes from the item, else 'Tolerance % <Category>' in Settings, else "
     "Tolerance % (5)."),
    ("Reconcile", "Ribbon: Reconcile, Validate lots, Trace lot, Export for inspector. Command line: "
     "massbal reconcile BOOK.xlsx [--from 2025-01-01 --to 2025-12-31] [--period month]. "
     "massbal trace BOOK.xlsx LOT shows a lot's suppliers and customers. Notes you type in the "
     "Notes, Root cause, Corrective action and Investigated by columns of the result sheets are kept "
     "on the next Reconcile."),
)


FARM_STEPS = (
    "1. Items: each crop (Kind Crop, Unit bu and its Kg per unit: wheat and soybeans 27.216, corn 25.401, oats "
    "14.515), the seed you buy (Kind Seed) and every input you spread (Kind Input; Allowed No for anything "
    "prohibited on organic land).",
    "2. Fields: one row per field and season with its crop, acres, expected yield and where that yield comes "
    "from; Organic Transition for a field still in transition.",
    "3. Through the year: Applications for compost, fertiliser and bought seed; FarmUse for saved seed planted "
    "and feed fed; Harvests for every load off a field (scale tickets), Organic No for a buffer strip; Shipments "
    "for grain sold; Counts of the bins on 31 December.",
    "4. Reconcile writes Crop (A beginning + B harvest + C bought - D sold - E loss - F farm use against G the "
    "bin count) and Harvest (each field's harvest against acres x expected yield): an organic harvest far above "
    "what the acres grow is the first thing an inspector checks.",
)

SETTINGS = ("The Settings sheet holds Unit = lb (the unit of every result) and "
            "Tolerance % = 5. Add rows such as 'Tolerance % Nuts' = 3 for a category, and "
            "'Operation' = your business's name for the cover of the inspector's copy.")
