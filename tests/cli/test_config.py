"""Option defaults from chatdlp.toml / --config / CHATDLP_* variables; -v logs no values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SSN = "536-22-8714"


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"conversation_id": "c", "message_id": "1", "role": "user",
                                "text": f"My SSN is {SSN}, mail me at dana.w@corp.example.org"}) + "\n")
    return path


def test_a_config_file_gives_defaults_and_the_command_line_wins(run_cli, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = str(_source(tmp_path))
    (tmp_path / "chatdlp.toml").write_text('[scan]\nfail-on = "critical"\nformat = "md"\npolicy = "pii"\n')
    local = run_cli("scan", source, "--out", "a", "-q")
    assert local.exit_code == 0, local.output  # the SSN is high, the file says critical
    assert (tmp_path / "a" / "summary.md").exists()
    assert run_cli("scan", source, "--out", "b", "--fail-on", "high", "-q").exit_code == 1

    other = tmp_path / "other.toml"
    other.write_text('[scan]\nfail_on = "medium"\n\n[findings.list]\nformat = "json"\n')
    assert run_cli("--config", str(other), "scan", source, "--out", "c", "-q").exit_code == 1


def test_environment_variables_give_defaults(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHATDLP_SCAN_FAIL_ON", "critical")
    assert run_cli("scan", str(_source(tmp_path)), "--out", "a", "-q").exit_code == 0


def test_a_misspelt_config_key_or_table_is_a_usage_error(run_cli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chatdlp.toml").write_text('[scan]\nfail-onn = "critical"\n')
    bad_key = run_cli("scan", str(_source(tmp_path)), "--out", "a")
    assert bad_key.exit_code == 2 and "did you mean 'fail-on'?" in bad_key.stderr
    (tmp_path / "chatdlp.toml").write_text('[scna]\nfail-on = "critical"\n')
    bad_table = run_cli("scan", str(_source(tmp_path)), "--out", "a")
    assert bad_table.exit_code == 2 and "did you mean [scan]?" in bad_table.stderr


def test_verbose_logging_names_things_but_never_a_value(run_cli, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chatdlp.toml").write_text('[scan]\nformat = "md"\n')
    result = run_cli("--debug", "scan", str(_source(tmp_path)), "--out", "a")
    assert "chatdlp: DEBUG: chatdlp.cli:" in result.stderr
    assert "defaults of scan from" in result.stderr
    assert SSN not in result.output and "dana.w@" not in result.output
