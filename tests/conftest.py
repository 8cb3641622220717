import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # tests/bookkit.py: small books typed as rows
for sub in sorted(p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
    sys.path.insert(0, str(sub))  # each area's own helper modules (ioread_helpers, ...)
sys.path.insert(0, str(HERE.parent / "src"))
# xlwings' remote engine (what xlwings Lite runs) under its noncommercial key: tests only
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
