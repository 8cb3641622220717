import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # payload.py, books.py, replay.py: workbooks for these tests

from lite_run import load_main  # noqa: E402

from massbal.excel import cache, lite  # noqa: E402


@pytest.fixture(scope="session")
def main():
    """addin/lite/main.py, loaded as xlwings Lite loads it."""
    return load_main()


@pytest.fixture(autouse=True)
def fresh():
    """Every test starts with no cached ledger and no pending Lite check, and leaves none."""
    cache.CACHE.clear()
    lite.reset()
    yield
    cache.CACHE.clear()
    lite.reset()
