"""State and keys: one lock per database whatever its name; a key others can read is
refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chatdlp.errors import ConfigError
from chatdlp.report.fingerprint import CONFIG_DIR_ENV, KEY_ENV, KEY_FILE, FingerprintKey
from chatdlp.state.store import FindingsStore


def test_a_symlinked_state_path_shares_the_lock_of_the_real_file(tmp_path: Path) -> None:
    real = tmp_path / "state.db"
    link = tmp_path / "alias.db"
    store = FindingsStore.open(real, lock=True)
    link.symlink_to(real)
    try:
        with pytest.raises(ConfigError, match="another chatdlp run"):
            FindingsStore.open(link, lock=True)  # was: its own alias.db.lock, one DB for two runs
    finally:
        store.close()
    FindingsStore.open(link, lock=True).close()


def test_a_fingerprint_key_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "config"))
    key = FingerprintKey.from_environment()  # created 0600
    path = tmp_path / "config" / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert FingerprintKey.from_environment() == key
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="can be read by other users"):
        FingerprintKey.from_environment()
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"conversation_id": "c", "message_id": "m", "role": "user", "text": "hi"}) + "\n")
    result = run_cli("scan", str(source), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "chmod 600" in result.stderr
