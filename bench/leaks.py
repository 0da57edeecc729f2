"""A longer run of the leak property test (``tests/hardening/test_leaks.py``): values
planted in every field of every input kind, each example a full ``scan --state`` with
every format, ``findings list``, ``report --state`` and a ``sweep``; no planted value
may survive in any output, the state, stdout or stderr.

    .venv/bin/python bench/leaks.py --examples 40 --sets 2

Prints the examples and planted (field, value) cases tried and every leak found, as
(field, output); exits 1 on a leak. Values are drawn with random seeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import TEST_KEY
from tests.hardening.planted import FIELDS, values
from tests.hardening.test_leaks import leaks_of, planted_sets

import chatdlp.detect
from chatdlp.cli import main as cli_main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--sets", type=int, default=2, help="copies of every input kind per example")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chatdlp-leaks-"))
    os.environ.update(CHATDLP_FINGERPRINT_KEY=TEST_KEY, CHATDLP_CONFIG_DIR=str(work / "config"),
                      XDG_CONFIG_HOME=str(work / "xdg"))
    real_load, loaded = chatdlp.detect.load_pipeline, []

    def load(profile: object) -> object:  # spaCy loaded once (a profile is not hashable)
        if not loaded:
            loaded.append(real_load(profile))  # type: ignore[arg-type]
        return loaded[0]

    chatdlp.detect.load_pipeline = load  # type: ignore[assignment]

    def run_cli(*argv: str, input: bytes | None = None) -> Result:
        return CliRunner().invoke(cli_main, list(argv), input=input, catch_exceptions=False)

    found: list[tuple[str, str]] = []
    examples = 0
    started = time.monotonic()
    size = args.sets * len(FIELDS)

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(values, min_size=size, max_size=size, unique=True))
    def case(planted_values: list[str]) -> None:
        nonlocal examples
        examples += 1
        found.extend(leaks_of(run_cli, Path(tempfile.mkdtemp(dir=work)), planted_sets(planted_values)))

    case()
    print(f"examples {examples}, planted cases {examples * size}, leaks {len(found)}, "
          f"{time.monotonic() - started:.0f} s")
    for where, output in sorted(set(found)):
        print(f"  LEAK {where} -> {output}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
