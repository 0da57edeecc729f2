"""findings.jsonl: one finding per line, the contract SIEM pipelines read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from chatdlp.atomic import AtomicFile
from chatdlp.records import Finding

FILE_NAME = "findings.jsonl"
# Each record's "schema_version": schemas/findings.schema.json describes it. Raised only when
# a field changes meaning or goes away; new fields are added without a new version.
SCHEMA_VERSION = 1


def finding_line(finding: Finding) -> str:
    record = {**finding.to_dict(), "schema_version": SCHEMA_VERSION}
    return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"


class JsonlFindingsWriter:
    """Streams findings to ``findings.jsonl`` as they come."""

    name = "jsonl"

    def __init__(self, out_dir: Path) -> None:
        self._file = AtomicFile(out_dir / FILE_NAME)

    def write(self, finding: Finding) -> None:
        self._file.write(finding_line(finding))

    def close(self) -> None:
        self._file.close()


class JsonlStreamWriter:
    """``--out -``: each finding as a JSON line on a stream (stdout) as it is found."""

    name = "jsonl-stream"

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, finding: Finding) -> None:
        self._stream.write(finding_line(finding))
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()
