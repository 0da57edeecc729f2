"""``chatdlp sweep``: the manifest's digest on stdout; --verify of a bundle whose manifest is gone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.state.corpus import write_corpus


def test_the_manifest_digest_is_printed_on_stdout(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "bundle"
    result = run_cli("sweep", str(write_corpus(tmp_path / "c.jsonl", 2)), "--days", "3650", "--out", str(out), "-q")
    assert result.exit_code in (0, 1), result.output
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert result.stdout.strip() == f"{digest}  {out / 'manifest.json'}"
    (out / "manifest.json").unlink()  # a bundle with its manifest taken away: tampering, exit 3
    assert run_cli("sweep", "--verify", str(out)).exit_code == 3
    assert run_cli("sweep", "--verify", str(tmp_path / "nowhere")).exit_code == 2
