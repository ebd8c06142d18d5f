"""Crash-safe files: atomic writes (temporary file, fsync, rename) and stale temporary files."""

import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO


TMP_PREFIX = ".tmp."


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some file systems (and Windows) cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[BinaryIO], None], *, tag: str = "") -> None:
    """Write a file so that `path` holds either its old content or the complete new one.

    `write(fh)` fills a temporary file `.tmp.<tag><name>.<random>` in the same folder; it is
    flushed and fsync'ed, renamed onto `path` with `os.replace` (atomic on POSIX and Windows),
    and the folder is fsync'ed so that the rename survives a power cut. If `write` raises, the
    temporary file is removed; if the process is killed, it stays behind and
    `remove_stale_tmp` deletes it on the next start.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TMP_PREFIX + tag + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def remove_stale_tmp(directory: str, *, tag: str = "") -> list[str]:
    """Delete the temporary files `atomic_write(..., tag=tag)` left in `directory` when a
    process was killed mid-write. Only files with this `tag` are touched (several processes
    sharing a folder each clean their own). Returns the removed paths."""
    removed = []
    prefix = TMP_PREFIX + tag
    for name in os.listdir(directory):
        if name.startswith(prefix):
            path = os.path.join(directory, name)
            try:
                os.remove(path)
                removed.append(path)
            except FileNotFoundError:
                pass
    return removed
