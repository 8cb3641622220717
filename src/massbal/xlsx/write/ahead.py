"""A big sheet made and deflated on a second thread while the rest of the write goes on.

A 980k-movement book's Ledger is most of Reconcile's write: about 2 s of building rows
(Arrow kernels, which let go of Python's lock) and deflating them (issue 15). Once the
write's plan has settled the sheet, nothing the sheet is made from changes, so it is made
beside the rest of the plan and of the package (the other sheets, the charts, the parts
copied through) and copied in last. Its deflated bytes wait in an unnamed temporary file
(tens of MB at 980k movements: not held in memory); the file goes when the write ends.
A temporary folder that is full or cannot be written to never fails the write: the sheet
is then made in line, as without a second core.
"""
from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator

from massbal.xlsx.read.two_readers import usable_cores
from massbal.xlsx.write.zip_copy import Deflated, deflate_to


class _Stopped(Exception):
    """The write ended before the sheet was needed (it failed, or was interrupted)."""


def ahead_pays() -> bool:
    """Only with a second core: on one, the sheet would only wait for the rest."""
    return usable_cores() >= 2


class Ahead:
    """chunks() made and deflated (at `level`) on its own thread from now on."""

    def __init__(self, chunks: Callable[[], Iterable[bytes]], level: int):
        self.chunks, self.level = chunks, level   # to make it in line after all (write_results)
        self._stop = threading.Event()
        self._file = tempfile.TemporaryFile(prefix="massbal-sheet-")   # OSError: the caller makes it in line
        self._done: Deflated | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._make, args=(chunks, level), name="massbal-sheet",
                                        daemon=True)
        self._thread.start()

    def _make(self, chunks, level: int) -> None:
        def until_stopped() -> Iterator[bytes]:
            for chunk in chunks():
                if self._stop.is_set():
                    raise _Stopped
                yield chunk
        try:
            crc, csize, usize = deflate_to(self._file, until_stopped(), level)
            self._done = Deflated(self._file, crc, csize, usize)
        except BaseException as e:  # noqa: BLE001  raised again in the writing thread (result)
            self._error = e

    def result(self) -> Deflated:
        """The deflated sheet, once made; what making it raised, raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._done is not None
        return self._done

    def close(self) -> None:
        """Stop making the sheet if it is still being made, and let its file go."""
        self._stop.set()
        self._thread.join()
        self._file.close()
