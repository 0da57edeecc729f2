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

It also keeps the last load, as digests too: of the ``--policy`` list with the working
directory (relative paths), of the files it named, and of their bytes. A run whose list
names the same files, with the same bytes, all of which passed, loads the same policies:
it may put the load off until a message is to be detected, and a rerun over unchanged
data never loads them (:meth:`PolicyCheckCache.loads_as_before`). Only a load that read
no file but the ones the list names is kept (a file that ``extends`` another is loaded
every time: the cache keeps no path to check the other one by).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

FORMAT = 1
FILE_MODE = 0o600


def _load_key(refs: Sequence[str]) -> str:
    """The ``--policy`` list and where relative paths in it start from (a digest)."""
    return content_digest(json.dumps([list(refs), os.getcwd()]).encode("utf-8", "surrogatepass"))


def _tops_digest(tops: Sequence[Path]) -> str:
    """The files the list names, resolved (a digest)."""
    names = [str(top.resolve()) for top in tops]
    return content_digest(json.dumps(names).encode("utf-8", "surrogatepass"))


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
        self._load: dict[str, object] = {}
        self._known = self._read()
        self._used: dict[str, str] = {}
        self._loaded: dict[str, object] = {}

    def known(self, content: str) -> str | None:
        """The data digest of a file whose bytes have digest ``content`` and passed, or None."""
        return self._known.get(content)

    def remember(self, content: str, data: str) -> None:
        """Bytes with digest ``content``, read as data with digest ``data``, passed the checks."""
        self._used[content] = data

    def remember_load(self, refs: Sequence[str], tops: Sequence[Path], files: Mapping[Path, bytes]) -> None:
        """A load of ``refs`` named the files ``tops`` and read ``files`` (resolved path -> bytes)."""
        resolved = [top.resolve() for top in tops]
        if set(resolved) != set(files):  # it read files the list does not name (``extends``)
            self._loaded = {}
            return
        self._loaded = {"key": _load_key(refs), "tops": _tops_digest(tops),
                        "files": [content_digest(files[path]) for path in resolved]}

    def loads_as_before(self, refs: Sequence[str]) -> bool:
        """Whether loading ``refs`` now reads the files the last load read, with the same
        bytes, every one of which passed: then it gives the same policies (or the same error:
        none). Reads the files, parses nothing; a name that does not resolve is False."""
        from chatdlp.errors import PolicyError
        from chatdlp.policy.refs import expand_policy_refs, resolve_policy_ref

        load = self._load
        digests = load.get("files")
        if load.get("key") != _load_key(refs) or not isinstance(digests, list):
            return False
        try:
            tops = [resolve_policy_ref(ref) for ref in expand_policy_refs(refs)]
        except PolicyError:
            return False
        if _tops_digest(tops) != load.get("tops") or len(digests) != len(tops):
            return False
        for path, digest in zip(tops, digests, strict=True):
            try:
                raw = path.read_bytes()
            except OSError:
                return False
            if content_digest(raw) != digest or digest not in self._known:
                return False
        return True

    def save(self) -> None:
        """Keep what this load used (the files of this run's policies), if that changed."""
        if self._used == self._known and self._loaded == self._load:
            return
        document = {"format": FORMAT, "checker": checker_digest(), "files": self._used,
                    "load": self._loaded}
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
        self._load = dict(self._loaded)

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
        load = document.get("load")
        self._load = load if isinstance(load, dict) else {}
        return files

    def _ignore(self, reason: str) -> None:
        self._warn(f"{self.path}: ignoring the policy check cache ({reason}); "
                   "every policy is checked again and the cache rewritten")
