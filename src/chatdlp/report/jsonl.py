"""findings.jsonl: one finding per line, the contract SIEM pipelines read."""

from __future__ import annotations

import json
from pathlib import Path

from chatdlp.atomic import AtomicFile
from chatdlp.records import Finding

FILE_NAME = "findings.jsonl"


class JsonlFindingsWriter:
    """Streams findings to ``findings.jsonl`` as they come."""

    name = "jsonl"

    def __init__(self, out_dir: Path) -> None:
        self._file = AtomicFile(out_dir / FILE_NAME)

    def write(self, finding: Finding) -> None:
        self._file.write(json.dumps(finding.to_dict(), ensure_ascii=False, sort_keys=False) + "\n")

    def close(self) -> None:
        self._file.close()
