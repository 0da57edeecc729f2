"""The output boundary: what of an input's identifiers, names and paths may be shown.

Every string taken from the input that is not scanned text (ids, user ids, GPT and
Project ids, tool names, content types, roles, file and ZIP member names, record keys)
passes through here before it reaches a finding, a report, a sink, the state or a
diagnostic. The rule is an allow-list of shapes, then a deny-list of value shapes:

- kept: a UUID, an id with a known prefix (``g-``, ``g-p-``, ``msg_``, ``file-``,
  ``user-`` ...) and a tail without a run of 9 digits, or a short plain token
  (letters, digits, ``_.-``) that holds no value shape;
- a value shape is an e-mail address, 9 or more digits in a chain (an SSN, a card, a
  phone or an account number, whatever the separators), an IBAN, a known secret prefix
  (``sk-``, ``ghp_``, ``AKIA`` ...) or a long run mixing letters and digits (a key);
  an ISO date (``2024-05-01``) is not a value shape here;
- masked: anything else, replaced by a keyed pseudonym ``~<16 hex>`` (stable across
  runs under one fingerprint key, so triage, baselines and suppressions keep working),
  or by ``[withheld]`` where no key is at hand.

Ids are masked per ``:`` segment (``gpt:<id>``, ``<conversation>:title`` keep their
structure) and paths per component (``/``, ``!``), keeping a plain extension.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A keyed hash of a string (hex): FingerprintKey.pseudonym.
Pseudonym = Callable[[str], str]

WITHHELD = "[withheld]"
PSEUDONYM_PREFIX = "~"
_PSEUDONYM = re.compile(r"~[0-9a-f]{16}|user:[0-9a-f]{16}")
_PSEUDONYM_IN = re.compile(r"(?<![A-Za-z0-9])(?:~|user:)[0-9a-f]{16}(?![A-Za-z0-9])")

_UUID = re.compile(
    r"(?:[a-z]{1,12}[-_])?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_ID_PREFIXES = (
    "g", "g-p", "msg", "message", "conv", "conversation", "user", "file", "file-service", "org",
    "proj", "project", "asst", "thread", "run", "gpt", "ws", "workspace", "task", "cdx", "codex",
    "canvas", "memory", "automation", "recording", "att", "attachment", "node", "item", "event",
)
_PREFIX_ALTERNATIVES = "|".join(re.escape(p) for p in sorted(_ID_PREFIXES, key=len, reverse=True))
_PREFIXED_ID = re.compile(rf"(?:{_PREFIX_ALTERNATIVES})[-_]([A-Za-z0-9]{{4,64}})")
_TOKEN = re.compile(r"[A-Za-z0-9\ufffd][A-Za-z0-9_.\-\ufffd]{0,63}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
_LONG_DIGITS = re.compile(r"[0-9]{9}")
_HEX_LETTERS = re.compile(r"[a-fA-F]")

# The value shapes (searched anywhere in a string).
_EMAIL = re.compile(r"[^\s@/!:<>()\[\]]+@[^\s@/!:<>()\[\]]+\.[A-Za-z]{2,}")
_ISO_DATE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])")
_DIGIT_CHAIN = re.compile(r"\+?[0-9](?:[ \-.()/_+]{0,2}[0-9]){8,}")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_SECRET_PREFIX = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:(?:sk|pk|rk|ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abposr]|hf|npm|pypi"
    r"|sq0atp|sq0csp|shpat|shpss|dop_v1|key)[-_][A-Za-z0-9_\-]{6,}|(?-i:AKIA|ASIA|AIza)[A-Za-z0-9_\-]{12,})"
)
_MIXED_RUN = re.compile(r"(?=[A-Za-z0-9]{17,})(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{17,}")
_CASE_RUN = re.compile(r"[A-Za-z]{24,}")


def _value_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a value shape (overlapping spans are merged by the caller)."""
    dates = [m.span() for m in _ISO_DATE.finditer(text)]
    uuids = [m.span() for m in _UUID.finditer(text)] + [m.span() for m in _PSEUDONYM_IN.finditer(text)]

    def exempt(span: tuple[int, int]) -> bool:
        return any(a <= span[0] and span[1] <= b for a, b in dates + uuids)

    spans: list[tuple[int, int]] = []
    for pattern in (_EMAIL, _IBAN, _SECRET_PREFIX):
        spans.extend(m.span() for m in pattern.finditer(text) if not exempt(m.span()))
    for m in _DIGIT_CHAIN.finditer(text):
        if not exempt(m.span()) and sum(c.isdigit() for c in m.group()) >= 9:
            spans.append(m.span())
    for m in _MIXED_RUN.finditer(text):
        if not any(a <= m.start() and m.end() <= b for a, b in uuids):
            spans.append(m.span())
    for m in _CASE_RUN.finditer(text):
        if sum(c.isupper() for c in m.group()) >= 5:
            spans.append(m.span())
    return spans


def value_like(text: str) -> bool:
    """True when ``text`` holds something shaped like a value (see the module doc)."""
    return bool(_value_spans(text))


def is_pseudonym(text: str) -> bool:
    """A string this module made in place of a value (it names nothing real)."""
    return bool(_PSEUDONYM.fullmatch(text))


def _masked(value: str, pseudonym: Pseudonym | None) -> str:
    if pseudonym is None:
        return WITHHELD
    return PSEUDONYM_PREFIX + pseudonym(value)[:16]


def plain_identifier(segment: str) -> bool:
    """An id a reviewer needs and that holds no value (one ``:`` segment)."""
    if _UUID.fullmatch(segment) or is_pseudonym(segment):
        return True
    prefixed = _PREFIXED_ID.fullmatch(segment)
    if prefixed is not None:
        tail = prefixed.group(1)
        if len(tail) >= 24 and len(_HEX_LETTERS.findall(tail)) >= 4 and tail.isalnum():
            return True  # a hex or base62 id tail (g-p-<32 hex>)
        return not _LONG_DIGITS.search(tail)
    return bool(_TOKEN.fullmatch(segment)) and not value_like(segment)


def identifier(value: str | None, pseudonym: Pseudonym | None = None) -> str | None:
    """An id as outputs show it: kept when plain, else masked (per ``:`` segment)."""
    if value is None or is_pseudonym(value):
        return value
    if plain_identifier(value):
        return value
    segments = value.split(":")
    if len(segments) > 1 and all(s and len(s) <= 64 for s in segments):
        return ":".join(s if plain_identifier(s) else _masked(s, pseudonym) for s in segments)
    return _masked(value, pseudonym)


def user_identifier(value: str | None, pseudonym: Pseudonym | None = None) -> str | None:
    """A user id: kept when plain; else ``user:<16 hex>`` (an e-mail address as a user id)."""
    if value is None or is_pseudonym(value) or plain_identifier(value):
        return value
    return "user:" + pseudonym(value)[:16] if pseudonym is not None else WITHHELD


def plain_name(value: str) -> bool:
    """A name (tool, content type, role, record key) that holds no value."""
    return bool(_NAME.fullmatch(value)) and not value_like(value)


def name(value: str | None, pseudonym: Pseudonym | None = None) -> str | None:
    """A tool name, a content type, a role: kept when plain, else masked."""
    if value is None or is_pseudonym(value) or plain_name(value):
        return value
    return _masked(value, pseudonym)


def _component(part: str, pseudonym: Pseudonym | None) -> str:
    if not part or part in (".", "..") or is_pseudonym(part):
        return part
    if len(part) <= 128 and part.isprintable() and not value_like(part):
        return part
    stem, dot, extension = part.rpartition(".")
    if dot and stem and _NAME.fullmatch(extension) and len(extension) <= 8 and not value_like(extension):
        return _masked(stem, pseudonym) + "." + extension
    return _masked(part, pseudonym)


def path(value: str, pseudonym: Pseudonym | None = None) -> str:
    """A file name or a source label: each ``/`` and ``!`` component kept when it is
    printable and holds no value shape; else masked, keeping a plain extension."""
    if len(value) <= 128 and value.isprintable() and not value_like(value):
        return value
    pieces = re.split(r"([/!])", value)
    return "".join(p if p in ("/", "!") else _component(p, pseudonym) for p in pieces)


def text(value: str, pseudonym: Pseudonym | None = None) -> str:
    """Free text built from input (a diagnostic, an error message): every value shape
    in it masked, the rest (positions, kinds, counts) kept."""
    spans = sorted(_value_spans(value))
    if not spans:
        return value
    out: list[str] = []
    position = 0
    for start, end in spans:
        if end <= position:
            continue
        start = max(start, position)
        out.append(value[position:start])
        out.append(_masked(value[start:end], pseudonym))
        position = end
    out.append(value[position:])
    return "".join(out)
