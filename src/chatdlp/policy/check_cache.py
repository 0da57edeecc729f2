"""Which policy files passed the regex checks before, so that a rerun need not check them again.

Checking a policy's patterns (compiling each with ``regex``, planning it for RE2, looking
for shapes that backtrack catastrophically) takes about a second over the shipped packs,
and a nightly ``scan --state`` over the same packs would pay it every night for nothing.
``scan --state PATH`` keeps a small JSON file beside the state database,
``PATH.policy-cache`` (mode 0600), that maps the SHA-256 of a policy file's bytes to the
SHA-256 of the YAML data read from it. It holds digests only: no pattern, term or example.

A file is checked again when its bytes changed (another digest), when the checker changed
(the code of :mod:`chatdlp.policy`, the ``regex`` module or Python: the ``checker`` digest
of the whole cache), and when the data read on the fast path is not the data the full
path read (see :func:`chatdlp.policy.loader.parse_policy_file`). A cache that cannot be
read is ignored, with a warning, and written again. ``policy validate`` never uses it:
only ``scan`` skips the checks, and only for bytes that passed them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

FORMAT = 1
FILE_MODE = 0o600


def cache_path_beside(state_path: Path) -> Path:
    """The cache of the state database at ``state_path``."""
    return state_path.with_name(f"{state_path.name}.policy-cache")


def content_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def data_digest(data: object) -> str:
    """A digest of parsed YAML data: ``repr`` shows every key, value and type, in order."""
    return hashlib.sha256(repr(data).encode("utf-8", "surrogatepass")).hexdigest()


@functools.lru_cache(maxsize=1)
def checker_digest() -> str:
    """The code that checks a policy: every module of this package, and the versions of the
    ``regex`` module and of Python (whose ``re`` parser the plan reads patterns with)."""
    import regex

    digest = hashlib.sha256(f"{FORMAT}|{sys.version}|{regex.__version__}".encode())
    modules = sorted(Path(__file__).parent.glob("*.py"))
    for module in modules:
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    if not modules:  # an install without sources: its version stands for the code
        import chatdlp

        digest.update(chatdlp.__version__.encode())
    return digest.hexdigest()


class PolicyCheckCache:
    """The cache file at ``path``: read now, written by :meth:`save` when it changed."""

    def __init__(self, path: Path, warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._warn = warn or (lambda _message: None)
        self._known = self._read()
        self._used: dict[str, str] = {}

    def known(self, content: str) -> str | None:
        """The data digest of a file whose bytes have digest ``content`` and passed, or None."""
        return self._known.get(content)

    def remember(self, content: str, data: str) -> None:
        """Bytes with digest ``content``, read as data with digest ``data``, passed the checks."""
        self._used[content] = data

    def save(self) -> None:
        """Keep what this load used (the files of this run's policies), if that changed."""
        if self._used == self._known:
            return
        document = {"format": FORMAT, "checker": checker_digest(), "files": self._used}
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                             dir=self.path.parent)
        except OSError as exc:
            self._warn(f"{self.path}: cannot write the policy check cache ({exc.strerror})")
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)
                json.dump(document, handle)
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            self._warn(f"{self.path}: cannot write the policy check cache ({exc.strerror})")
            return
        self._known = dict(self._used)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except UnicodeDecodeError:
            self._ignore("not UTF-8 text")
            return {}
        except OSError as exc:
            self._ignore(exc.strerror or type(exc).__name__)
            return {}
        try:
            document = json.loads(text)
        except ValueError:
            self._ignore("not JSON")
            return {}
        files = document.get("files") if isinstance(document, dict) else None
        if (not isinstance(files, dict) or document.get("format") != FORMAT
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
            self._ignore("not a policy check cache")
            return {}
        if document.get("checker") != checker_digest():
            return {}  # another chatdlp wrote it: every file is checked again
        return files

    def _ignore(self, reason: str) -> None:
        self._warn(f"{self.path}: ignoring the policy check cache ({reason}); "
                   "every policy is checked again and the cache rewritten")
