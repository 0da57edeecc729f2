"""Writing report files safely: private permissions, atomic replacement.

Every output goes to a temporary file in the same directory, is flushed, fsynced,
size-checked and renamed into place. A write that fails (a full disk, ENOSPC)
removes the temporary file and leaves the previous file where it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600


def prepare_out_dir(path: Path, warn: Callable[[str], None] | None = None) -> Path:
    """Create ``path`` private (0700); an existing directory keeps its mode (a shared
    group directory stays one), with a warning when others can read it."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)
    elif warn is not None and path.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH):
        warn(f"{path} can be read by other users (mode {stat.S_IMODE(path.stat().st_mode):o}); "
             "reports are written 0600 inside it")
    return path


class AtomicFile:
    """A text file written under a temporary name and renamed into place on close.

    A rerun into the same directory replaces the old file whole; readers never
    see a half-written one. ``close()`` also runs when the scan fails, so what
    was written is kept.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, FILE_MODE)
        self._temp = Path(temp)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self._failed = False

    def write(self, text: str) -> None:
        if self._failed:
            return
        try:
            self.handle.write(text)
        except OSError:
            self.abort()
            raise

    def close(self) -> None:
        if self.handle.closed:
            return
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            size = os.fstat(self.handle.fileno()).st_size
            if size != self.handle.tell():
                raise OSError(f"{self.path}: {size} bytes on disk, {self.handle.tell()} written")
            self.handle.close()
            os.replace(self._temp, self.path)
        except OSError:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop what was written: the previous file stays."""
        self._failed = True
        with contextlib.suppress(OSError):  # the flush of a full disk fails again: no matter
            self.handle.close()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None and issubclass(exc_type, OSError):
            self.abort()
        else:
            self.close()
