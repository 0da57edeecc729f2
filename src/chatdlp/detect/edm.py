"""Exact data match (EDM): values that belong to one of the organisation's own records.

``EdmIndex.build`` reads a CSV of records (students, patients, customers ...) and
keeps only keyed hashes of normalised cell values: a value is looked up by
hashing a candidate from a message the same way. Which columns of one record
matched together decides how serious a hit is: an id and a name of the same
record say far more than a common first name.

The hash is keyed BLAKE2b (a MAC by design, with the installation's fingerprint
key or a key given for the index), truncated to 64 bits. Threat model: without
the key an index cannot be checked against guesses; with it, anyone can test
candidate values (SSNs, birth dates and names are easy to enumerate). Keep the
key as secret as the records.

The index file (``.npz``, mode 0600) holds a JSON header (format version, the
columns' names and kinds, a key check) and two views of the same entries: by
hash (to find the records that hold a value) and by record (to see which other
columns of that record the message also holds). Record numbers are row
positions; no cell value, raw or normalised, is stored.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chatdlp.detect.edm_values import KINDS, Kind, candidate_values, infer_kind
from chatdlp.entities.disguise import plain_view
from chatdlp.errors import ConfigError
from chatdlp.records import Category, Detection, Severity

FORMAT = "chatdlp-edm"
EDM_ENTITY = "EDM_MATCH"
_EDM_SEVERITY = {3: Severity.HIGH, 2: Severity.MEDIUM, 1: Severity.LOW}
FORMAT_VERSION = 1
# A value shared by more records than this identifies nobody (a common first name,
# a popular birth date): it can corroborate a match, never start one.
MAX_RECORDS_PER_VALUE = 50

@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str
    key: bool  # identifying alone (an id, an e-mail): a match of it alone is reportable


def _keyed(secret: bytes) -> Any:
    if len(secret) < 16:
        raise ConfigError("the EDM key must be at least 16 bytes")
    return hashlib.blake2b(key=secret[:64], digest_size=8, person=b"chatdlp-edm")


def _hash(base: Any, kind: str, key: str) -> int:
    h = base.copy()
    h.update(f"{kind}\x00{key}".encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "little")


def _key_check(secret: bytes) -> str:
    """Tells whether an index was built with this key, without revealing it."""
    return hashlib.blake2b(b"chatdlp-edm-key-check", key=secret[:64], digest_size=16).hexdigest()


# Name keys: the whole name, its first and last word, and each word alone (a part
# corroborates, never starts, a match).
FULL, PART = 0, 1
# The column number of a record's name columns written together (first and last name).
ALL_NAME_COLUMNS = 255


def _name_keys(name: str) -> list[tuple[str, int]]:
    words = name.split()
    keys = [(name, FULL)]
    if len(words) > 2:
        keys.append((f"{words[0]} {words[-1]}", FULL))
    keys += [(w, PART) for w in dict.fromkeys(words) if len(w) >= 2]
    return keys


@dataclass(frozen=True)
class EdmMatch:
    """The columns of one record a message holds, and where."""

    record: int
    columns: tuple[str, ...]  # names of the columns matched, in the index's order
    spans: tuple[tuple[int, int], ...]  # where in the text, one per matched value
    key_column: bool  # an identifying column matched (not only names and dates)
    full_name: bool  # a name of two words or more, or two name columns of the record
    other_columns: bool  # a column that is neither a name nor identifying alone (a date)

    @property
    def strength(self) -> int:
        """0 nothing worth reporting, 1 low, 2 medium, 3 high.

        An identifying column (id, e-mail, phone) with anything else of the same record
        is high, alone medium; a whole name with another column (a birth date) is high,
        alone low; a first name or a date alone is nothing.
        """
        if self.key_column:
            return 3 if len(self.columns) >= 2 else 2
        if self.full_name:
            return 3 if self.other_columns else 1
        return 0


class EdmIndex:
    """Keyed hashes of the organisation's records, loaded for lookups."""

    def __init__(
        self, name: str, columns: Sequence[Column], secret: bytes,
        by_hash: Any, by_hash_record: Any, rec_offsets: Any, rec_hashes: Any, rec_columns: Any,
        rec_parts: Any,
    ) -> None:
        self.name = name
        self.path = Path(name)  # the file it was loaded from (set by :meth:`load`)
        self.columns = tuple(columns)
        self._base = _keyed(secret)
        self._by_hash = by_hash
        self._by_hash_record = by_hash_record
        self._rec_offsets = rec_offsets
        self._rec_hashes = rec_hashes
        self._rec_columns = rec_columns
        self._rec_parts = rec_parts

    def __repr__(self) -> str:
        return f"EdmIndex({self.name!r}, {len(self)} records)"

    def __len__(self) -> int:
        return int(len(self._rec_offsets) - 1)

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(
        cls, rows: Iterable[Sequence[str]], header: Sequence[str], name: str, secret: bytes,
        columns: Sequence[str] | None = None, key_columns: Sequence[str] | None = None,
        kinds: dict[str, str] | None = None, samples: Sequence[Sequence[str]] = (),
    ) -> EdmIndex:
        """An index of ``rows`` (cells in ``header``'s order). ``samples`` are the first
        rows, used to infer the kinds of columns whose name says nothing."""
        header = [h.strip() for h in header]
        chosen = list(columns) if columns else [h for h in header if h]
        missing = [c for c in chosen if c not in header]
        if missing:
            raise ConfigError(
                f"no column {', '.join(map(repr, missing))} in the records (columns: {', '.join(header)})"
            )
        given = dict(kinds or {})
        bad = {k: v for k, v in given.items() if v not in KINDS}
        if bad:
            raise ConfigError(f"unknown column kind(s) {bad}: use one of {', '.join(KINDS)}")
        positions = [header.index(c) for c in chosen]
        kind_of = [
            given.get(c) or infer_kind(c, [row[p] for row in samples if p < len(row)])
            for c, p in zip(chosen, positions, strict=True)
        ]
        keys = set(key_columns) if key_columns is not None else {
            c for c, k in zip(chosen, kind_of, strict=True) if k in ("id", "email", "phone")
        }
        unknown_keys = keys - set(chosen)
        if unknown_keys:
            raise ConfigError(f"key column(s) {', '.join(sorted(unknown_keys))} are not indexed columns")
        cols = [Column(c, k, c in keys) for c, k in zip(chosen, kind_of, strict=True)]
        base = _keyed(secret)
        # Compact arrays while reading: a million records are several million entries.
        hashes = array("Q")
        col_of = array("B")
        part_of = array("B")
        offsets = array("Q", [0])
        name_columns = [n for n, c in enumerate(cols) if c.kind == "name"]
        if len(cols) >= ALL_NAME_COLUMNS:
            raise ConfigError(f"an EDM index holds at most {ALL_NAME_COLUMNS - 1} columns")
        for row in rows:
            seen: set[int] = set()
            for number, (column, position) in enumerate(zip(cols, positions, strict=True)):
                cell = row[position] if position < len(row) else ""
                for normalised in Kind.normalise(column.kind, cell):
                    entries = _name_keys(normalised) if column.kind == "name" else [(normalised, FULL)]
                    for key, part in entries:
                        digest = _hash(base, "name" if column.kind == "name" else column.kind, key)
                        if digest in seen:
                            continue
                        seen.add(digest)
                        hashes.append(digest)
                        col_of.append(number)
                        part_of.append(part)
            # A name split over columns (first, last) is also written whole: "Amara
            # Whitfield" names fewer records than "Whitfield" alone.
            whole = " ".join(
                key for c, p in zip(cols, positions, strict=True) if c.kind == "name"
                for key in Kind.normalise("name", row[p] if p < len(row) else "")
            )
            if len(name_columns) >= 2 and " " in whole:
                digest = _hash(base, "name", whole)
                if digest not in seen:
                    hashes.append(digest)
                    col_of.append(ALL_NAME_COLUMNS)
                    part_of.append(FULL)
            offsets.append(len(hashes))
        rec_hashes = np.frombuffer(hashes, dtype=np.uint64)
        rec_offsets = np.frombuffer(offsets, dtype=np.uint64)
        sizes = np.diff(rec_offsets).astype(np.int64)
        records = np.repeat(np.arange(len(offsets) - 1, dtype=np.uint32), sizes)
        order = np.argsort(rec_hashes, kind="stable")
        return cls(
            name, cols, secret,
            by_hash=rec_hashes[order], by_hash_record=records[order],
            rec_offsets=rec_offsets, rec_hashes=rec_hashes,
            rec_columns=np.frombuffer(col_of, dtype=np.uint8),
            rec_parts=np.frombuffer(part_of, dtype=np.uint8),
        )

    @classmethod
    def build_csv(
        cls, path: Path, name: str, secret: bytes, columns: Sequence[str] | None = None,
        key_columns: Sequence[str] | None = None, kinds: dict[str, str] | None = None,
    ) -> EdmIndex:
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"cannot read records {path}: {exc.strerror}") from exc
        with handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise ConfigError(f"{path}: the records file is empty (a header row is needed)") from None
            except csv.Error as exc:
                raise ConfigError(f"{path}:1: not a CSV file ({exc})") from exc
            samples = []
            for row in reader:
                samples.append(row)
                if len(samples) >= 200:
                    break

            def rows() -> Iterator[Sequence[str]]:
                yield from samples
                try:
                    yield from reader
                except csv.Error as exc:
                    raise ConfigError(f"{path}:{reader.line_num}: broken CSV row ({exc})") from exc

            return cls.build(rows(), header, name, secret, columns, key_columns, kinds, samples)

    # -- files ------------------------------------------------------------------------

    def save(self, path: Path, secret: bytes) -> None:
        header = {
            "format": FORMAT, "version": FORMAT_VERSION, "name": self.name, "records": len(self),
            "columns": [{"name": c.name, "kind": c.kind, "key": c.key} for c in self.columns],
            "key_check": _key_check(secret),
        }
        arrays = {
            "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            "by_hash": self._by_hash, "by_hash_record": self._by_hash_record,
            "rec_offsets": self._rec_offsets, "rec_hashes": self._rec_hashes,
            "rec_columns": self._rec_columns, "rec_parts": self._rec_parts,
        }
        temporary = path.with_name(f".{path.name}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, secret: bytes) -> EdmIndex:
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ConfigError(f"{path}: not a chatdlp EDM index ({type(exc).__name__})") from exc
        with data:
            try:
                header = json.loads(bytes(data["header"]).decode())
                arrays = {k: data[k] for k in ("by_hash", "by_hash_record", "rec_offsets", "rec_hashes",
                                               "rec_columns", "rec_parts")}
            except (KeyError, ValueError) as exc:
                raise ConfigError(f"{path}: not a chatdlp EDM index (missing {exc})") from exc
        if header.get("format") != FORMAT:
            raise ConfigError(f"{path}: not a chatdlp EDM index")
        if header.get("version") != FORMAT_VERSION:
            raise ConfigError(
                f"{path}: EDM index version {header.get('version')} (this chatdlp reads {FORMAT_VERSION}): "
                "rebuild it"
            )
        if header.get("key_check") != _key_check(secret):
            raise ConfigError(
                f"{path}: the EDM index was built with another key "
                "(set the key it was built with, or rebuild it)"
            )
        columns = [Column(str(c["name"]), str(c["kind"]), bool(c["key"])) for c in header["columns"]]
        index = cls(str(header["name"]), columns, secret, **arrays)
        index.path = path
        return index

    # -- lookups ----------------------------------------------------------------------

    def match(self, text: str) -> list[EdmMatch]:
        """The records ``text`` holds values of, strongest first (one match per record)."""
        candidates: dict[int, list[tuple[int, int]]] = {}
        for kind, start, end, key in candidate_values(text):
            candidates.setdefault(_hash(self._base, kind, key), []).append((start, end))
        if not candidates:
            return []
        digests = np.fromiter(candidates, dtype=np.uint64, count=len(candidates))
        lo = np.searchsorted(self._by_hash, digests, side="left")
        hi = np.searchsorted(self._by_hash, digests, side="right")
        records: set[int] = set()
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if 0 < b - a <= MAX_RECORDS_PER_VALUE:
                records.update(self._by_hash_record[a:b].tolist())
        matches = []
        for record in records:
            first, last = int(self._rec_offsets[record]), int(self._rec_offsets[record + 1])
            matched: dict[int, list[tuple[int, int]]] = {}
            full_name = False
            for position in range(first, last):
                spans = candidates.get(int(self._rec_hashes[position]))
                if spans is None:
                    continue
                column = int(self._rec_columns[position])
                if column == ALL_NAME_COLUMNS:
                    for name_column in (n for n, c in enumerate(self.columns) if c.kind == "name"):
                        matched.setdefault(name_column, []).extend(spans)
                    full_name = True
                    continue
                matched.setdefault(column, []).extend(spans)
                if int(self._rec_parts[position]) == FULL and self.columns[column].kind == "name":
                    full_name = full_name or any(" " in text[a:b].strip() for a, b in spans)
            if not matched:
                continue
            kinds = [self.columns[c] for c in sorted(matched)]
            names = [c for c in kinds if c.kind == "name"]
            matches.append(EdmMatch(
                record=record,
                columns=tuple(c.name for c in kinds),
                spans=tuple(sorted({s for c in matched for s in _outermost(matched[c])})),
                key_column=any(c.key for c in kinds),
                full_name=full_name or len(names) >= 2,
                other_columns=any(c.kind != "name" and not c.key for c in kinds),
            ))
        matches = [m for m in matches if m.strength > 0]
        matches.sort(key=lambda m: (-m.strength, -len(m.columns), m.spans))
        # A namesake of a record matched more strongly on the same words is not a finding.
        kept: list[EdmMatch] = []
        for match in matches:
            if not any(set(match.spans) <= set(k.spans) for k in kept):
                kept.append(match)
        return kept


def edm_detections(index: EdmIndex, text: str) -> list[Detection]:
    """One reported detection per record the text holds values of (on its first value),
    the record's other values unreported (masked in excerpts, never shown). Values
    written to slip past (spelled-out digits, invisible characters) are looked up in
    their plain form."""
    matches = index.match(text)
    view = plain_view(text)
    if view is not None:
        seen = {m.record for m in matches}
        for match in index.match(view.text):
            if match.record not in seen:
                spans = tuple(sorted({view.original_span(a, b) for a, b in match.spans}))
                matches.append(dataclasses.replace(match, spans=spans))
    detections: list[Detection] = []
    for match in matches:
        detections += _edm_detection(index.name, match)
    return detections


def _edm_detection(name: str, match: EdmMatch) -> list[Detection]:
    severity = _EDM_SEVERITY[match.strength]
    (start, end), *others = match.spans
    base = Detection(
        rule_id=f"edm.{name}", entity_type=EDM_ENTITY, category=Category.PII, severity=severity,
        score=1.0, start=start, end=end, policy=f"edm:{name}", edm_columns=match.columns,
    )
    return [base] + [dataclasses.replace(base, start=a, end=b, reported=False) for a, b in others]


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans not inside another (the whole name, not its words)."""
    ordered = sorted(set(spans), key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int]] = []
    for span in ordered:
        if kept and span[0] >= kept[-1][0] and span[1] <= kept[-1][1]:
            continue
        kept.append(span)
    return kept


def read_header(path: Path) -> dict[str, Any]:
    """The header of an index file (for ``edm info``), without loading its arrays."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("header.npy") as member:
            raw = np.load(io.BytesIO(member.read()), allow_pickle=False)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: not a chatdlp EDM index ({type(exc).__name__})") from exc
    header = json.loads(bytes(raw).decode())
    header.pop("key_check", None)
    return dict(header)
