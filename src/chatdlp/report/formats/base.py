"""What every formatter is, and small helpers they share."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar, Protocol

from chatdlp.atomic import AtomicFile
from chatdlp.report.model import ReportModel

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Formatter(Protocol):
    """Writes one or more files from the report model; returns their paths."""

    name: ClassVar[str]

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]: ...


def spreadsheet_cell(value: object) -> str | int | float:
    """A CSV cell that a spreadsheet shows as text, never evaluates as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """UTF-8 with a byte-order mark (so spreadsheets detect the encoding), atomically."""
    with AtomicFile(path) as out:
        out.write("\ufeff")
        writer = csv.writer(out.handle, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_cell(cell) for cell in row])
    return path


def write_json(path: Path, data: object) -> Path:
    with AtomicFile(path) as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path
