"""Replace a workbook so that, whatever happens, the file is the old one or the new one.

The new workbook is written beside the original (same folder, so the final rename
never crosses a file system), flushed to disk, the previous version is kept as a backup,
and only then does one atomic os.replace put the new file in place. A crash, a kill or
a full disk at any moment leaves the user's file untouched or completely new.

Backup: `.massbal/<BOOK>.backup<.xlsx>` in the book's folder, the version before the last
Reconcile. It is a hard link where the file system allows (instant, no extra space
until the book changes), else a copy. `undo(path)` swaps it back: the book becomes the
backed-up version and the backup the version undone, so undoing twice redoes.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import uuid
from collections.abc import Callable
from typing import BinaryIO

from .write_guard import WorkbookBusy as WorkbookBusy  # raised by replace_atomically and undo
from .write_guard import book_lock, last_written, remember_written, shift_generations


class WorkbookLocked(Exception):
    """The workbook is open in Excel or LibreOffice (its lock file is there)."""


class WorkbookReadOnly(Exception):
    """The workbook or its folder cannot be written."""


class WorkbookChanged(Exception):
    """The workbook was saved by someone else while massbal was working."""


class NoBackup(Exception):
    """There is nothing to undo."""


BACKUP_DIR = ".massbal"
_TMP_PREFIX = ".~massbal-"


def lock_files(path: str) -> list[str]:
    """Excel's owner file ~$BOOK.xlsx and LibreOffice's .~lock.BOOK.xlsx#."""
    folder, name = os.path.split(path)
    return [os.path.join(folder, "~$" + name), os.path.join(folder, ".~lock." + name + "#")]


def check_unlocked(path: str) -> None:
    for lock in lock_files(path):
        if os.path.exists(lock):
            raise WorkbookLocked(f"{os.path.basename(path)} is open in Excel or LibreOffice; "
                                 "close it and run massbal again.")


def check_can_write(path: str) -> None:
    """Refuse before any work when the book is locked, missing or read-only."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist.")
    check_unlocked(path)
    st = os.stat(path)
    if not (st.st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK):
        raise WorkbookReadOnly(f"{name} is read-only; allow changes to it and run massbal again.")
    if not os.access(os.path.dirname(path) or ".", os.W_OK | os.X_OK):
        raise WorkbookReadOnly(f"The folder of {name} cannot be written; massbal needs it to save "
                               "the workbook safely.")


def backup_path(path: str) -> str:
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, BACKUP_DIR, f"{stem}.backup{ext}")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows: directories cannot be opened; NTFS journals the rename
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_name(folder: str, name: str) -> str:
    return os.path.join(folder, f"{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-{name}")


def clean_stale_temps(path: str) -> None:
    """Temp files left by a run that was killed (its process is gone)."""
    folder, name = os.path.split(path)
    pat = re.compile(re.escape(_TMP_PREFIX) + r"(\d+)-[0-9a-f]{8}-" + re.escape(name) + "$")
    for d in (folder,):
        try:
            entries = os.listdir(d or ".")
        except OSError:
            continue
        for entry in entries:
            m = pat.match(entry)
            if not m:
                continue
            pid = int(m.group(1))
            if pid != os.getpid() and _alive(pid):
                continue
            try:
                os.remove(os.path.join(d, entry))
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
        with open(dst, "rb+") as fh:
            os.fsync(fh.fileno())


def _keep_backup(path: str) -> str:
    target = backup_path(path)
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    tmp = _temp_name(folder, os.path.basename(path))
    _link_or_copy(path, tmp)
    shift_generations(target)  # the next write never overwrites the only backup
    os.replace(tmp, target)
    _fsync_dir(folder)
    return target


def file_signature(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def replace_atomically(path: str, write: Callable[[BinaryIO], None], *, backup: bool = True,
                       before: tuple | None = None, on_written: Callable[[], None] | None = None
                       ) -> str | None:
    """Write the new workbook with `write(fh)` beside `path` and swap it in.

    before: the file's (size, mtime, inode) when it was read; if it changed since, the
    user saved meanwhile and nothing is replaced. on_written: called once the new file
    is complete (to close readers of the old one: Windows cannot replace an open file).
    Returns the backup's path.
    """
    folder, name = os.path.split(path)
    before = before or file_signature(path)
    with book_lock(path):  # a second massbal run refuses rather than races
        return _replace_locked(path, write, backup, before, on_written)


def _replace_locked(path: str, write: Callable[[BinaryIO], None], backup: bool, before: tuple,
                    on_written: Callable[[], None] | None) -> str | None:
    folder, name = os.path.split(path)
    if file_signature(path) != before:
        raise WorkbookChanged(changed_since_read(name))
    clean_stale_temps(path)
    tmp = _temp_name(folder, name)
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        shutil.copymode(path, tmp)
        if on_written is not None:
            on_written()
        if file_signature(path) != before:
            raise WorkbookChanged(changed_since_read(name))
        check_unlocked(path)
        saved = _keep_backup(path) if backup else None
        try:
            os.replace(tmp, path)
        except PermissionError as e:  # Windows: the book is open elsewhere
            raise WorkbookLocked(f"{name} is open in another program; close it and run massbal "
                                 "again.") from e
        _fsync_dir(folder or ".")
        if saved:
            remember_written(saved, file_signature(path))
        return saved
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise OSError(e.errno, f"The disk is full; {name} was not changed.") from None
        raise
    finally:
        if os.path.exists(tmp):
            try:
                os.remove(tmp)
            except OSError:
                pass


def changed_since_read(name: str) -> str:
    return (f"{name} was changed after massbal read it (saved in Excel, or written by another massbal "
            "run), so these results would be out of date. Nothing was written; run massbal again.")


def undo(path: str) -> str:
    """Put back the version before the last Reconcile; the undone version becomes the
    backup (undo again to redo). Refuses when the book was changed since massbal wrote it:
    those changes would be lost. Returns the backup's path."""
    path = os.path.realpath(path)
    target = backup_path(path)
    name = os.path.basename(path)
    if not os.path.isfile(target):
        raise NoBackup(f"There is no earlier version of {name} to go back to.")
    check_can_write(path)
    with book_lock(path):
        written = last_written(target)
        if written is not None and file_signature(path) != written:
            raise WorkbookChanged(
                f"{name} was changed after massbal last wrote it (saved in Excel?), and undo would throw "
                f"those changes away; nothing was undone. The earlier versions are in the "
                f"{BACKUP_DIR} folder beside it ({os.path.basename(target)} is the newest).")
        restored = _swap_with_backup(path, target)
        remember_written(target, file_signature(path))
        return restored


def _swap_with_backup(path: str, target: str) -> str:
    name = os.path.basename(path)
    folder = os.path.dirname(path)
    restore = _temp_name(folder, name)
    current = _temp_name(os.path.dirname(target), name)
    try:
        shutil.copy2(target, restore)
        with open(restore, "rb+") as fh:
            os.fsync(fh.fileno())
        shutil.copymode(path, restore)
        _link_or_copy(path, current)
        check_unlocked(path)
        # the book first: killed between the two, the undone version survives as a temp
        # file in .massbal/ (never cleaned up automatically) and the book is the old one
        os.replace(restore, path)
        os.replace(current, target)
        _fsync_dir(folder or ".")
        _fsync_dir(os.path.dirname(target))
    finally:
        for t in (restore, current):
            if os.path.exists(t):
                try:
                    os.remove(t)
                except OSError:
                    pass
    return target
