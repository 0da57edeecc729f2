from __future__ import annotations

import json
import stat
from pathlib import Path

from chatdlp.sources.compliance_api.archive import ConversationArchive, merge_versions
from tests.fake_compliance import conversation, message


def test_merge_keeps_every_message_once_newest_version_wins() -> None:
    old = conversation("c1", [message("m1", "a"), message("m2", "b")], title="old")
    new = conversation("c1", [message("m1", "a"), message("m2", "b edited"), message("m3", "c")],
                       title="new")
    merged = merge_versions([old, new])
    data = merged["messages"]["data"]
    assert [m["id"] for m in data] == ["m1", "m2", "m3"]
    assert data[1]["content"]["value"] == "b edited"
    assert merged["title"] == "new" and merged["messages"]["last_id"] == "m3"


def test_archive_writes_one_line_per_id_merged_private_and_atomic(tmp_path: Path) -> None:
    out = tmp_path / "archive.jsonl"
    out.write_text("previous\n")
    archive = ConversationArchive(out)
    archive.add(conversation("c1", [message("m1", "a")]))
    archive.add(conversation("c2", [message("m2", "b")]))
    assert out.read_text() == "previous\n"  # not replaced until closed
    archive.add(conversation("c1", [message("m1", "a"), message("m3", "c")]))
    stats = archive.close()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [c["id"] for c in lines] == ["c1", "c2"]
    assert [m["id"] for m in lines[0]["messages"]["data"]] == ["m1", "m3"]
    assert (stats.records, stats.written, stats.merged) == (3, 2, 1)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.jsonl"]  # no temp left


def test_discard_leaves_the_old_archive(tmp_path: Path) -> None:
    out = tmp_path / "archive.jsonl"
    out.write_text("previous\n")
    archive = ConversationArchive(out)
    archive.add(conversation("c1", [message("m1", "a")]))
    archive.discard()
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.jsonl"]
