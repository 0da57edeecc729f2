from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chatdlp.report.formats.base import spreadsheet_cell
from chatdlp.report.formats.csvfile import COLUMNS, CsvFormatter
from chatdlp.report.formats.incidents import IncidentsFormatter
from chatdlp.report.model import LinkTemplate, ReportOptions
from tests.report.helpers import finding, model


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_cells_get_a_leading_apostrophe(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "[US_SSN] text", "a=b", "", None])
def test_other_cells_are_left_alone(value: str | None) -> None:
    assert spreadsheet_cell(value) == (value or "")


def test_numbers_stay_numbers() -> None:
    assert spreadsheet_cell(-0.5) == -0.5
    assert spreadsheet_cell(3) == 3


def test_csv_one_row_per_finding_with_every_column(tmp_path: Path) -> None:
    findings = [
        finding(1, excerpt="=HYPERLINK(\"x\") [US_SSN]"),
        finding(2, excerpt="line, with \"quotes\"", conversation_id="c/2 x"),
        finding(3, user_id=None),
    ]
    options = ReportOptions(LinkTemplate("https://chat.example/c/{conversation_id}"))
    (path,) = CsvFormatter().write(model(tmp_path, findings, options), tmp_path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["excerpt"] == "'=HYPERLINK(\"x\") [US_SSN]"
    assert rows[1]["excerpt"] == "line, with \"quotes\""
    assert rows[1]["link"] == "https://chat.example/c/c%2F2%20x"
    assert rows[2]["user_id"] == ""
    assert rows[0]["severity"] == "high" and rows[0]["score"] == "0.85"


def test_incidents_csv_and_json(tmp_path: Path) -> None:
    findings = [finding(1), finding(2, conversation_id="conv-2", user_id="user-b"),
                finding(3, fingerprint="alone")]
    json_path, csv_path = IncidentsFormatter().write(model(tmp_path, findings), tmp_path)
    assert json_path.name == "incidents.json"
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert rows[0]["fingerprint"] == "fp-ssn-1"
    assert rows[0]["conversation_count"] == "2" and rows[0]["user_count"] == "2"
    assert rows[0]["conversations"] == "conv-1 conv-2"
