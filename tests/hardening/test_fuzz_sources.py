"""A fuzz suite per reader (a few hundred cases each, deadline-free); ``bench/fuzz.py``
runs the same for longer."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.fuzzing import SEEDS, mutated, read_file, read_stdin, zipped

FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(mutated(SEEDS["export"]))
def test_fuzz_export_json(directory: Path, data: bytes) -> None:
    read_file(directory, "conversations.json", data)


@FUZZ
@given(mutated(SEEDS["jsonl"]))
def test_fuzz_jsonl(directory: Path, data: bytes) -> None:
    read_file(directory, "messages.jsonl", data)


@FUZZ
@given(mutated(SEEDS["page"]))
def test_fuzz_saved_page(directory: Path, data: bytes) -> None:
    read_file(directory, "page.json", data)


@FUZZ
@given(mutated(SEEDS["logs"]))
def test_fuzz_log_file(directory: Path, data: bytes) -> None:
    read_file(directory, "events.log.jsonl", data)


@FUZZ
@given(st.sampled_from(sorted(SEEDS)).flatmap(lambda kind: mutated(SEEDS[kind])))
def test_fuzz_stdin(data: bytes) -> None:
    read_stdin(data)


@FUZZ
@given(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
       .flatmap(lambda method: mutated(zipped(SEEDS["export"], method))))
def test_fuzz_export_zip(directory: Path, data: bytes) -> None:
    read_file(directory, "export.zip", data)
