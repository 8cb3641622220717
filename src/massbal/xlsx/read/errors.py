"""The one exception the xlsx reader lets out."""
from __future__ import annotations


class BookReadError(Exception):
    """The workbook cannot be read at all; str(error) is one plain line for the user.

    The CLI prints it on standard error and exits 2, leaving the file untouched.
    """

    def __init__(self, reason: str):
        # One line, always: a reason that wraps would read like a traceback.
        super().__init__(" ".join(str(reason).split()))
