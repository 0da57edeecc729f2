"""First run vs rerun with ``--state`` over unchanged data: the scan phase.

Not a test: run by hand, ``.venv/bin/python bench/rerun.py [--conversations N]``.

Generates a flat-JSONL corpus with planted values, loads the detector once
(spaCy loading is not part of either figure), then times ``stream_scan`` with a
fresh state database (every message detected, findings committed per batch)
and again over the same corpus and state (every message skipped by id and
content hash before detection). Prints both times and their ratio; the goal
is a rerun at least 50x faster than the first run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--messages", type=int, default=6, help="per conversation")
    args = parser.parse_args()

    import os

    os.environ.setdefault("CHATDLP_FINGERPRINT_KEY", "bench-fingerprint-key-0123456789")
    from tests.state.corpus import write_corpus

    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.detect.backends import LocalRunner
    from chatdlp.pipeline.run import StateLedger
    from chatdlp.pipeline.scan import Stages, stream_scan
    from chatdlp.policy import load_policies
    from chatdlp.records import Diagnostics, ScanStats
    from chatdlp.report.fingerprint import FingerprintKey
    from chatdlp.sources import open_source
    from chatdlp.state import ContentHasher, FindingsStore

    profile = NlpProfile.load()
    detector = Detector(load_policies(), load_pipeline(profile), profile)
    key = FingerprintKey.from_environment()

    class Discard:
        def write(self, finding: object) -> None:
            pass

        def close(self) -> None:
            pass

    def one_run(corpus: Path, db: Path) -> tuple[float, ScanStats]:
        with FindingsStore.open(db, lock=True) as store:
            run_id = store.begin_run("bench")
            ledger = StateLedger(store, run_id, ContentHasher(key.secret), [])
            started = time.perf_counter()
            stages = Stages([open_source(str(corpus))], LocalRunner(detector), key, [Discard()],
                            ledger=ledger)
            stats = stream_scan(stages, Diagnostics())
            return time.perf_counter() - started, stats

    with tempfile.TemporaryDirectory() as work:
        corpus = write_corpus(Path(work) / "corpus.jsonl", args.conversations, args.messages)
        db = Path(work) / "state.db"
        first, first_stats = one_run(corpus, db)
        rerun, rerun_stats = one_run(corpus, db)

    total = args.conversations * args.messages
    print(f"corpus: {args.conversations:,} conversations, {total:,} messages")
    print(f"first run: {first:8.3f} s  ({first_stats.messages:,} messages detected, "
          f"{first_stats.findings:,} findings)")
    print(f"rerun:     {rerun:8.3f} s  ({rerun_stats.messages:,} messages detected, "
          f"{rerun_stats.unchanged_messages:,} skipped as unchanged, "
          f"{rerun_stats.findings:,} findings)")
    print(f"ratio:     {first / rerun:8.1f}x faster")


if __name__ == "__main__":
    main()
