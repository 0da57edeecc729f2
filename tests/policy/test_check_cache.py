"""The policy check cache: bytes that passed the regex checks are not checked again, and
nothing else changes (a changed file, a changed checker, a corrupt cache: checked again)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from chatdlp.errors import PolicyError
from chatdlp.policy import check_cache as cache_module
from chatdlp.policy import load_policies, schema
from chatdlp.policy.check_cache import PolicyCheckCache, cache_path_beside
from tests.conftest import ACME_POLICY as POLICY


@pytest.fixture
def checks_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every pattern the schema checks, in order."""
    seen: list[str] = []
    real = schema.check_regex

    def counting(pattern: str, allow: bool = False) -> str:
        seen.append(pattern)
        return real(pattern, allow)

    monkeypatch.setattr(schema, "check_regex", counting)
    return seen


def _cache(tmp_path: Path, warnings: list[str] | None = None) -> PolicyCheckCache:
    sink = warnings if warnings is not None else []
    return PolicyCheckCache(cache_path_beside(tmp_path / "state.db"), warn=sink.append)


def test_bytes_that_passed_are_not_checked_again_and_load_the_same(
    tmp_path: Path, checks_counted: list[str]
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    first = load_policies([str(path)], _cache(tmp_path))
    assert checks_counted == ["BADGE-[0-9]{6}", "BADGE-000000"]
    checks_counted.clear()
    second = load_policies([str(path)], _cache(tmp_path))
    assert checks_counted == []
    assert second == first == load_policies([str(path)])  # the same frozen policies
    assert (tmp_path / "state.db.policy-cache").is_file()


def test_the_shipped_packs_load_the_same_through_the_cache(tmp_path: Path) -> None:
    load_policies(None, _cache(tmp_path))
    assert load_policies(None, _cache(tmp_path)) == load_policies(None)


def test_a_changed_policy_file_is_checked_again(tmp_path: Path, checks_counted: list[str]) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    load_policies([str(path)], _cache(tmp_path))
    path.write_text(POLICY.replace("BADGE-[0-9]{6}", "(?<=id )(\\w+\\s?)+$"))
    with pytest.raises(PolicyError, match="backtrack catastrophically"):
        load_policies([str(path)], _cache(tmp_path))
    path.write_text(POLICY.replace("BADGE-[0-9]{6}", "BADGE-[0-9"))
    with pytest.raises(PolicyError, match=r"acme.yaml:9:.*invalid regular expression"):
        load_policies([str(path)], _cache(tmp_path))


def test_a_changed_checker_checks_every_file_again(
    tmp_path: Path, checks_counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    load_policies([str(path)], _cache(tmp_path))
    monkeypatch.setattr(cache_module, "checker_digest", lambda: "another chatdlp")
    checks_counted.clear()
    load_policies([str(path)], _cache(tmp_path))
    assert checks_counted == ["BADGE-[0-9]{6}", "BADGE-000000"]


def test_data_read_otherwise_than_the_first_time_is_checked_again(
    tmp_path: Path, checks_counted: list[str]
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    load_policies([str(path)], _cache(tmp_path))
    cache_file = tmp_path / "state.db.policy-cache"
    document = json.loads(cache_file.read_text())
    document["files"] = {content: "0" * 64 for content in document["files"]}
    cache_file.write_text(json.dumps(document))
    checks_counted.clear()
    load_policies([str(path)], _cache(tmp_path))
    assert checks_counted == ["BADGE-[0-9]{6}", "BADGE-000000"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b'{"format": 1, "files": []}', b"[]"])
def test_a_corrupt_cache_is_ignored_with_a_warning_and_rewritten(
    tmp_path: Path, checks_counted: list[str], content: bytes
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    cache_file = tmp_path / "state.db.policy-cache"
    cache_file.write_bytes(content)
    warnings: list[str] = []
    assert load_policies([str(path)], _cache(tmp_path, warnings)) == load_policies([str(path)])
    assert len(warnings) == 1 and "ignoring the policy check cache" in warnings[0]
    assert str(cache_file) in warnings[0]
    assert json.loads(cache_file.read_text())["format"] == 1  # written again, whole
    checks_counted.clear()
    load_policies([str(path)], _cache(tmp_path))
    assert checks_counted == []


def test_the_cache_is_private_and_holds_digests_only(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    load_policies([str(path)], _cache(tmp_path))
    cache_file = tmp_path / "state.db.policy-cache"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    text = cache_file.read_text()
    for value in ("BADGE", "Falcon", "acme"):
        assert value not in text
    document = json.loads(text)
    assert set(document) == {"format", "checker", "files", "load"}
    assert all(len(k) == 64 and len(v) == 64 for k, v in document["files"].items())
    load = document["load"]  # the last load, as digests: of the list, the files named, their bytes
    assert len(load["key"]) == 64 and len(load["tops"]) == 64
    assert [len(d) for d in load["files"]] == [64]
    assert not list(tmp_path.glob(".state.db.policy-cache.*"))  # no temporary file left


def test_a_load_that_fails_leaves_the_cache_as_it_was(tmp_path: Path) -> None:
    good, bad = tmp_path / "acme.yaml", tmp_path / "other.yaml"
    good.write_text(POLICY)
    bad.write_text(POLICY.replace("name: acme", "name: other").replace("acme.", "other.")
                   .replace("BADGE-[0-9]{6}", "BADGE-[0-9"))
    with pytest.raises(PolicyError):
        load_policies([str(good), str(bad)], _cache(tmp_path))
    assert not (tmp_path / "state.db.policy-cache").exists()


def test_an_unwritable_cache_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    warnings: list[str] = []
    missing = PolicyCheckCache(tmp_path / "no-such-dir" / "state.db.policy-cache", warn=warnings.append)
    assert load_policies([str(path)], missing) == load_policies([str(path)])
    assert len(warnings) == 1 and "cannot write the policy check cache" in warnings[0]


def test_a_list_naming_the_files_of_the_last_load_loads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    assert not _cache(tmp_path).loads_as_before([str(path)])  # nothing loaded yet
    load_policies([str(path)], _cache(tmp_path))
    assert _cache(tmp_path).loads_as_before([str(path)])
    load_policies(None, _cache(tmp_path))  # the shipped packs: the last load is theirs now
    assert _cache(tmp_path).loads_as_before([])
    assert not _cache(tmp_path).loads_as_before([str(path)])


def test_a_changed_list_or_file_does_not_load_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY)
    monkeypatch.chdir(tmp_path)
    load_policies(["acme.yaml"], _cache(tmp_path))
    assert _cache(tmp_path).loads_as_before(["acme.yaml"])
    assert not _cache(tmp_path).loads_as_before(["acme.yaml", "pii"])  # another list
    assert not _cache(tmp_path).loads_as_before([str(path)])  # the same file, named otherwise
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "acme.yaml").write_text(POLICY)
    monkeypatch.chdir(elsewhere)  # a relative path now names another file
    assert not _cache(tmp_path).loads_as_before(["acme.yaml"])
    monkeypatch.chdir(tmp_path)
    path.write_text(POLICY.replace("Falcon", "Osprey"))  # near miss: one term changed
    assert not _cache(tmp_path).loads_as_before(["acme.yaml"])
    path.unlink()
    assert not _cache(tmp_path).loads_as_before(["acme.yaml"])  # gone: the load says why


def test_a_file_that_extends_another_is_loaded_every_time(tmp_path: Path) -> None:
    # The cache keeps no path: the file extended could change unseen.
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY.replace("name: acme\n", "name: acme\nextends: [pii]\n"))
    load_policies([str(path)], _cache(tmp_path))
    assert not _cache(tmp_path).loads_as_before([str(path)])
    assert json.loads((tmp_path / "state.db.policy-cache").read_text())["load"] == {}
