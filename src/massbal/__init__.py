"""massbal: organic mass balance and lot traceability that lives in Excel."""
__version__ = "0.1.0"
