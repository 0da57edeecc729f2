"""``chatdlp sweep``: the evidence bundle (reports + manifest.json) of a time window,
and ``sweep --verify`` catching a changed, missing or added file."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from chatdlp import __version__
from tests.state.corpus import write_corpus


def test_sweep_bundle_manifest_and_verify(tmp_path: Path, run_cli) -> None:
    now = time.time()
    recent = write_corpus(tmp_path / "recent.jsonl", 3, created_at=now - 2 * 86400)
    old = tmp_path / "old.jsonl"
    write_corpus(old, 2, created_at=now - 90 * 86400)
    old.write_text(old.read_text().replace("conv-", "old-conv-").replace("msg-", "old-msg-"))
    out = tmp_path / "bundle"

    result = run_cli("sweep", str(recent), str(old), "--days", "30", "--out", str(out),
                     "--fail-on", "critical")
    assert result.exit_code in (0, 1), result.output
    assert "manifest.json sha256" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] == __version__
    assert {p["name"] for p in manifest["policies"]} >= {"pii", "pci", "phi"}
    assert all(len(p["sha256"]) == 64 for p in manifest["policies"])
    assert manifest["parameters"]["days"] == 30
    assert manifest["parameters"]["sources"] == [str(recent), str(old)]
    start = manifest["window"]["start"]
    assert start.startswith(time.strftime("%Y-%m-%d", time.gmtime(now - 30 * 86400)))
    counts = manifest["counts"]
    assert counts["messages"] == 18  # the recent corpus only
    assert counts["messages_outside_window"] == 12  # the old one, left out by time
    assert counts["conversations"] == 5
    assert counts["findings"] == len((out / "findings.jsonl").read_text().splitlines()) > 0
    assert counts["skipped_records"] == 0
    assert manifest["complete"] is True
    assert manifest["started_at"] <= manifest["finished_at"]
    assert "old-conv" not in (out / "findings.jsonl").read_text()
    files = manifest["files"]
    assert set(files) == {"findings.jsonl", "findings.csv", "incidents.csv", "incidents.json",
                          "report.html", "summary.md", "findings.sarif", "analytics.json"}
    for name, entry in files.items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()

    ok = run_cli("sweep", "--verify", str(out))
    assert ok.exit_code == 0 and "8 file(s)" in ok.output

    with (out / "findings.csv").open("a") as handle:
        handle.write("forged,row\n")
    (out / "summary.md").unlink()
    (out / "extra.txt").write_text("planted")
    bad = run_cli("sweep", "--verify", str(out))
    assert bad.exit_code == 3
    assert "CHANGED     findings.csv" in bad.output
    assert "MISSING     summary.md" in bad.output
    assert "UNEXPECTED  extra.txt" in bad.output
    assert "report.html" not in bad.output


def test_sweep_wants_a_fresh_directory(tmp_path: Path, run_cli) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", 1)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.txt").write_text("x")
    result = run_cli("sweep", str(corpus), "--out", str(tmp_path / "used"))
    assert result.exit_code == 2 and "new or empty directory" in result.output
    not_a_bundle = run_cli("sweep", "--verify", str(tmp_path / "used"))
    assert not_a_bundle.exit_code == 2 and "not an evidence bundle" in not_a_bundle.stderr
