"""A longer fuzz run of every reader in ``sources/`` (the same properties as
``tests/hardening/test_fuzz_sources.py``: never raises, no lone surrogate left, no
planted value in a diagnostic), with random seeds and a time budget per reader.

    .venv/bin/python bench/fuzz.py --examples 5000 --seconds 120

Prints, per reader, the cases tried, failures (with the shrunk input, as repr), and
cases slower than --slow seconds (hangs). Exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hardening.fuzzing import SEEDS, mutated, read_file, read_stdin, zipped


def fuzz_reader(
    strategy: st.SearchStrategy[bytes], read: Callable[[bytes], object], examples: int,
    seconds: float, slow_after: float,
) -> tuple[int, int, str]:
    """(cases tried, slow cases, the failure or "")."""
    tried = slow = 0
    deadline = time.monotonic() + seconds

    def case(data: bytes) -> None:
        nonlocal tried, slow
        if time.monotonic() > deadline:
            return
        tried += 1
        started = time.monotonic()
        read(data)
        if time.monotonic() - started > slow_after:
            slow += 1

    run = settings(max_examples=examples, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))(given(strategy)(case))
    try:
        run()
    except Exception as exc:  # a property failed: report it and go on with the next reader
        return tried, slow, f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    return tried, slow, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="cases per reader")
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget per reader")
    parser.add_argument("--slow", type=float, default=2.0, help="a case slower than this is a hang")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chatdlp-fuzz-") as name:
        return _fuzz_all(Path(name), args)


def _fuzz_all(directory: Path, args: argparse.Namespace) -> int:
    zip_payloads = st.sampled_from(
        [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2]
    ).flatmap(lambda method: mutated(zipped(SEEDS["export"], method)))
    readers: dict[str, tuple[st.SearchStrategy[bytes], Callable[[bytes], object]]] = {
        "export json": (mutated(SEEDS["export"]), lambda d: read_file(directory, "conversations.json", d)),
        "jsonl": (mutated(SEEDS["jsonl"]), lambda d: read_file(directory, "messages.jsonl", d)),
        "saved page": (mutated(SEEDS["page"]), lambda d: read_file(directory, "page.json", d)),
        "log file": (mutated(SEEDS["logs"]), lambda d: read_file(directory, "events.jsonl", d)),
        "export zip": (zip_payloads, lambda d: read_file(directory, "export.zip", d)),
        "stdin": (st.sampled_from(sorted(SEEDS)).flatmap(lambda k: mutated(SEEDS[k])), read_stdin),
    }
    failed = False
    for name, (strategy, read) in readers.items():
        tried, slow, error = fuzz_reader(strategy, read, args.examples, args.seconds, args.slow)
        failed = failed or bool(error)
        print(f"{name:12} {tried:>7,} cases  {slow:>3} slow  {error or 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
