import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # payload.py, books.py, replay.py: workbooks for these tests

from lite_run import load_main  # noqa: E402


@pytest.fixture(scope="session")
def main():
    """addin/lite/main.py, loaded as xlwings Lite loads it."""
    return load_main()
