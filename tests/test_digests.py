"""DigestSet: exact membership on both sides of a spill, a private spill file, keyed digests."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chatdlp.digests import DEFAULT_MEMORY_DIGESTS, MEMORY_ENV, DigestSet, memory_digests_setting
from chatdlp.errors import ConfigError


def test_duplicates_are_caught_on_both_sides_of_every_spill(tmp_path: Path) -> None:
    with DigestSet(memory_digests=7, temp_dir=str(tmp_path)) as seen:
        assert all(seen.first_time("conv", str(i)) for i in range(100))
        assert seen.spills == 14 and seen.in_memory == 2 and len(seen) == 100
        # every one again: those on disk and those still in memory
        assert not any(seen.first_time("conv", str(i)) for i in range(100))
        assert len(seen) == 100
        # new ones after the spills are still new, then known
        assert seen.first_time("conv", "100") and not seen.first_time("conv", "100")
        assert seen.digest("conv", "3") in seen and seen.digest("conv", "x") not in seen


def test_near_misses_are_different_items(tmp_path: Path) -> None:
    with DigestSet(memory_digests=1, temp_dir=str(tmp_path)) as seen:
        assert seen.first_time("a", "bc")
        assert seen.first_time("ab", "c")  # the separator keeps the parts apart
        assert seen.first_time("a", "bc ")
        assert seen.first_time("a\ud800", "bc")  # a lone surrogate is kept, not replaced
        assert not seen.first_time("a\ud800", "bc")


def test_the_spill_file_is_private_and_removed_on_close(tmp_path: Path) -> None:
    seen = DigestSet(memory_digests=2, temp_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # nothing on disk below the bound
    for i in range(5):
        seen.first_time(str(i))
    (directory,) = tmp_path.iterdir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (db,) = directory.iterdir()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    seen.close()
    assert list(tmp_path.iterdir()) == []
    assert len(seen) == 0 and seen.first_time("0")  # usable again, empty
    seen.close()


def test_a_dropped_set_removes_its_spill_file(tmp_path: Path) -> None:
    seen = DigestSet(memory_digests=1, temp_dir=str(tmp_path))
    seen.first_time("x")
    assert list(tmp_path.iterdir())
    del seen
    assert list(tmp_path.iterdir()) == []


def test_digests_are_keyed_per_set(tmp_path: Path) -> None:
    """The spill file holds nothing a guessed value can be checked against."""
    one, two = DigestSet(temp_dir=str(tmp_path)), DigestSet(temp_dir=str(tmp_path))
    assert one.digest("conv-1", "m1", "my card") != two.digest("conv-1", "m1", "my card")
    assert one.digest("conv-1", "m1", "my card") == one.digest("conv-1", "m1", "my card")


def test_the_in_memory_bound_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_digests_setting() == DEFAULT_MEMORY_DIGESTS
    monkeypatch.setenv(MEMORY_ENV, "3")
    with DigestSet(temp_dir=str(tmp_path)) as seen:
        for i in range(3):
            seen.first_time(str(i))
        assert seen.spills == 1
    for bad in ("0", "-4", "many"):
        monkeypatch.setenv(MEMORY_ENV, bad)
        with pytest.raises(ConfigError, match=MEMORY_ENV):
            memory_digests_setting()
    assert os.environ[MEMORY_ENV] == "many"


def test_labelled_sets_count_exactly_across_spills(tmp_path: Path) -> None:
    from chatdlp.digests import LabelledSets

    sets = LabelledSets(memory_items=4, temp_dir=str(tmp_path))
    a, b, empty = sets.label(), sets.label(), sets.label()
    for item in range(30):
        sets.add(a, item)
        sets.add(b, item + 20)
        sets.add(a, item)  # again
    assert sets.spills > 5
    assert (sets.count(a), sets.count(b), sets.count(empty)) == (30, 30, 0)
    assert sets.union_count([a, b]) == 50 and sets.union_count([a, empty]) == 30
    (directory,) = tmp_path.iterdir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    sets.close()
    assert list(tmp_path.iterdir()) == []
