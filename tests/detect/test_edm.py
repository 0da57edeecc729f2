"""Exact data match: an index of keyed hashes, lookups by record and column."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from chatdlp.detect.edm import MAX_RECORDS_PER_VALUE, EdmIndex, read_header
from chatdlp.detect.edm_values import infer_kind, parse_dates
from chatdlp.errors import ConfigError

KEY = b"edm-test-key-0123456789abcdef"
# Invented records in the shape of a student-information-system export.
ROWS = [
    ["student_id", "first_name", "last_name", "email", "date_of_birth", "phone"],
    ["S1002345", "Amara", "Delacroix-Boyd", "amara.db@uni.example.edu", "2001-03-14", "+1 (617) 555-2381"],
    ["S1002346", "John", "Smith", "jsmith@uni.example.edu", "2000-11-02", "617-555-9911"],
    ["S1002347", "Kristy", "O'Brien", "kob@uni.example.edu", "1999-07-22", "6175554410"],
]
RAW_VALUES = [cell for row in ROWS[1:] for cell in row]


@pytest.fixture()
def records(tmp_path: Path) -> Path:
    path = tmp_path / "students.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    return path


@pytest.fixture()
def index(records: Path, tmp_path: Path) -> EdmIndex:
    built = EdmIndex.build_csv(records, "students", KEY)
    built.save(tmp_path / "students.edm", KEY)
    return EdmIndex.load(tmp_path / "students.edm", KEY)


def _strongest(index: EdmIndex, text: str) -> tuple[tuple[str, ...], int] | None:
    matches = index.match(text)
    return (matches[0].columns, matches[0].strength) if matches else None


def test_kinds_are_inferred_from_names_and_values(index: EdmIndex) -> None:
    assert [(c.name, c.kind, c.key) for c in index.columns] == [
        ("student_id", "id", True), ("first_name", "name", False), ("last_name", "name", False),
        ("email", "email", True), ("date_of_birth", "date", False), ("phone", "phone", True),
    ]
    assert infer_kind("col7", ["x@y.org", "a@b.com"]) == "email"
    assert infer_kind("col8", ["1990-01-02", "03/04/1988"]) == "date"
    assert infer_kind("col9", ["AB12345", "CD99887"]) == "id"


def test_an_id_and_a_name_of_one_record_are_high(index: EdmIndex) -> None:
    assert _strongest(index, "Student S1002345 (Amara Delacroix-Boyd) failed the exam") == (
        ("student_id", "first_name", "last_name"), 3,
    )
    assert _strongest(index, "is s1002345 amara?") == (("student_id", "first_name"), 3)


def test_a_name_and_a_birth_date_are_high_and_the_date_may_be_written_otherwise(index: EdmIndex) -> None:
    assert _strongest(index, "John Smith, born 11/02/2000") == (("first_name", "last_name", "date_of_birth"), 3)
    assert _strongest(index, "john smith was born on November 2, 2000") == (
        ("first_name", "last_name", "date_of_birth"), 3,
    )


def test_an_identifying_value_alone_is_medium(index: EdmIndex) -> None:
    assert _strongest(index, "the ticket mentions S1002345") == (("student_id",), 2)
    assert _strongest(index, "call (617) 555-9911") == (("phone",), 2)
    assert _strongest(index, "mail KOB@uni.example.edu") == (("email",), 2)


def test_a_whole_name_alone_is_low(index: EdmIndex) -> None:
    assert _strongest(index, "Kristy O'Brien asked for an extension") == (("first_name", "last_name"), 1)


def test_a_first_name_a_date_or_a_neighbouring_number_alone_is_nothing(index: EdmIndex) -> None:
    assert index.match("said Einar to Kristy") == []
    assert index.match("due 2001-03-14") == []
    assert index.match("ticket S1002344 and S1002348") == []
    assert index.match("Amara O'Brien") == []  # parts of two different records


def test_records_must_be_of_the_same_row(index: EdmIndex) -> None:
    # John's id with Amara's surname: two weak facts of different records, no combination.
    matches = index.match("S1002346 Delacroix-Boyd")
    assert [(m.columns, m.strength) for m in matches] == [(("student_id",), 2)]


def test_spans_point_at_the_values(index: EdmIndex) -> None:
    text = "Student S1002345 (Amara Delacroix-Boyd)"
    [match] = index.match(text)
    assert [text[a:b] for a, b in match.spans] == ["S1002345", "Amara Delacroix-Boyd"]


def test_the_index_file_holds_no_value_and_is_private(records: Path, tmp_path: Path) -> None:
    path = tmp_path / "students.edm"
    EdmIndex.build_csv(records, "students", KEY).save(path, KEY)
    assert os.stat(path).st_mode & 0o777 == 0o600
    blob = path.read_bytes()
    for value in RAW_VALUES:
        for form in (value, value.casefold(), value.upper(), "".join(ch for ch in value if ch.isalnum())):
            assert form.encode() not in blob, "a raw or normalised value is in the index"
    header = read_header(path)
    assert header["records"] == 3 and header["columns"][0]["name"] == "student_id"
    assert "key_check" not in header


def test_another_key_cannot_use_the_index(records: Path, tmp_path: Path) -> None:
    path = tmp_path / "students.edm"
    EdmIndex.build_csv(records, "students", KEY).save(path, KEY)
    with pytest.raises(ConfigError, match="another key"):
        EdmIndex.load(path, b"some-other-key-0123456789")


def test_bad_records_and_files_are_configuration_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        EdmIndex.build_csv(empty, "x", KEY)
    with pytest.raises(ConfigError, match="no column 'ssn'"):
        EdmIndex.build(iter([]), ["id", "name"], "x", KEY, columns=["ssn"])
    with pytest.raises(ConfigError, match="not a chatdlp EDM index"):
        EdmIndex.load(empty, KEY)
    with pytest.raises(ConfigError, match="at least 16"):
        EdmIndex.build(iter([]), ["id"], "x", b"short")


def test_a_value_shared_by_many_records_starts_no_match() -> None:
    header = ["id", "first_name", "last_name"]
    rows = [[f"E{n:07d}", "Maria", "Garcia"] for n in range(MAX_RECORDS_PER_VALUE + 1)]
    index = EdmIndex.build(iter(rows), header, "employees", KEY)
    assert index.match("Maria Garcia") == []
    assert _strongest(index, "E0000007 Maria Garcia") == (("id", "first_name", "last_name"), 3)


@pytest.mark.parametrize(("written", "iso"), [
    ("2001-03-14", ["2001-03-14"]), ("14/03/2001", ["2001-03-14"]), ("03/04/1990", ["1990-03-04", "1990-04-03"]),
    ("March 14, 2001", ["2001-03-14"]), ("14th Mar 2001", ["2001-03-14"]), ("31/02/2001", []), ("hello", []),
])
def test_dates_in_the_notations_people_write(written: str, iso: list[str]) -> None:
    assert [d.isoformat() for d in parse_dates(written)] == iso


def test_a_name_split_over_columns_is_found_whole_and_namesakes_are_not_reported() -> None:
    header = ["id", "first_name", "last_name"]
    firsts = ["Maria", "Ana", "Luis", "Jorge", "Elena", "Pablo"]
    rows = [[f"E{n:07d}", firsts[n % 6] if n else "Maria", "Garcia"] for n in range(MAX_RECORDS_PER_VALUE + 10)]
    index = EdmIndex.build(iter(rows), header, "employees", KEY)
    # "Garcia" alone names 60 records and "Maria" 11: neither starts a match, the whole name does
    assert index.match("Garcia called") == []
    # eleven Maria Garcias: one low finding (which of them is not said)
    assert [(m.columns, m.strength) for m in index.match("Maria Garcia called")] == [
        (("first_name", "last_name"), 1)]
    # with an id, the record it names is reported and its namesakes are not
    [match] = index.match("E0000006 Maria Garcia called")
    assert (match.record, match.columns, match.strength) == (6, ("id", "first_name", "last_name"), 3)
