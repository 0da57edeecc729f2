"""Whole files a run with ``--state`` read before: a rerun over the same bytes does not read them.

A file (named on the command line, or found in a directory) is read and its messages
are committed batch by batch. With the batch that holds its last message (or a later
one), the run commits the file's keyed digest (:meth:`ContentHasher.file_digest`: an
HMAC-SHA-256 of the code that reads files and of the file's bytes) and what reading it
gave (:class:`~chatdlp.records.FileTally`). A later run hashes each file first: the
same digest means the same messages, every one of them already in the state, so the
file is counted (``unchanged``) and not read, and nothing is loaded to detect it.

A file is remembered only when it was read to its end without a warning (no record
skipped, no unknown content type, no failure) and did not change on disk while it was
read; other files are read every time, message by message, as before. A new version of
the code that reads files (another reader digest) reads every file again once: it may
find messages the old one did not. A message row that changes (an edited message: a
file or another source gave the same message id with another text) makes the state forget
every file but the ones whose reading wrote the new text (:mod:`chatdlp.state.schema`'s
triggers): the next run reads them again, and skips their messages one by one.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import chatdlp


class FileHasher(Protocol):
    def file_digest(self, stream: IO[bytes], reader: bytes) -> bytes: ...


@functools.lru_cache(maxsize=1)
def reader_digest() -> bytes:
    """The code that turns a file into messages: the sources package, the output boundary
    (ids as the state keeps them) and the records."""
    package = Path(chatdlp.__file__).parent
    modules = sorted(
        [*(package / "sources").rglob("*.py"), package / "pipeline" / "ingress.py",
         package / "boundary.py", package / "records.py"]
    )
    digest = hashlib.sha256(b"chatdlp reader\x00")
    read = 0
    for module in modules:
        try:
            code = module.read_bytes()
        except OSError:
            continue
        read += 1
        digest.update(str(module.relative_to(package)).encode() + b"\x00" + code)
    if not read:  # an install without sources: its version stands for the code
        digest.update(chatdlp.__version__.encode())
    return digest.digest()


@dataclass(frozen=True, slots=True)
class FileMark:
    """A file's digest, and its size and modification time when it was hashed."""

    path: Path
    digest: bytes
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path, hasher: FileHasher) -> FileMark | None:
        """None when the file cannot be read: the reader then says what is wrong with it."""
        try:
            with path.open("rb") as stream:
                status = os.fstat(stream.fileno())
                digest = hasher.file_digest(stream, reader_digest())
        except OSError:
            return None
        return cls(path, digest, status.st_size, status.st_mtime_ns)

    def still_there(self) -> bool:
        """Whether the file is as it was hashed (a file written while it was read is not)."""
        try:
            status = self.path.stat()
        except OSError:
            return False
        return (status.st_size, status.st_mtime_ns) == (self.size, self.mtime_ns)
