"""Legal-hold files are validated like policies: file:line, field, "did you mean"."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.remediate.holds import load_holds


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holds.yaml"
    path.write_text(text)
    return path


def test_bare_ids_mappings_and_expiry(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
version: 1
users:
  - u1
  - id: u2
    reason: eDiscovery matter 7
    expires: 2026-12-31
conversations: [c1]
projects:
  - id: p1
    expires: 2026-01-01T00:00:00Z
""")
    holds = load_holds(path, now=datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc))
    assert holds.hold_on("users", ["x", "u2"]).reason == "eDiscovery matter 7"  # type: ignore[union-attr]
    assert holds.hold_on("users", ["u1"]) is not None
    assert holds.hold_on("conversations", ["c1"]) is not None
    assert holds.hold_on("projects", ["p1"]) is None  # expired
    assert [h.id for h in holds.expired] == ["p1"]
    assert holds.sha256 and len(holds) == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("version: 1\nusers:\n  - id: u1\n    reasn: x\n",
     "holds.yaml:4:5: field 'users[0].reasn': unknown key 'reasn'; did you mean 'reason'?"),
    ("version: 1\nuser: [u1]\n",
     "holds.yaml:2:1: field 'user': unknown key 'user'; did you mean 'users'?"),
    ("version: 2\nusers: []\n", "holds.yaml:1:1: field 'version'"),
    ("version: 1\nusers:\n  - id: u1\n    expires: someday\n",
     "holds.yaml:4:5: field 'users[0].expires'"),
    ("users: []\n", "field 'version': required, but missing"),
    ("version: 1\nusers: [a\n", "holds.yaml:3:1:"),
    ("- a\n", "a holds file is a YAML mapping"),
])
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_holds(_write(tmp_path, text))
    assert expected in str(caught.value)
