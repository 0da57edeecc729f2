"""Detection quality: chatdlp (default policy) and vanilla Presidio side by side on the
dev, technical and held-out corpora. Not a test; prints Markdown tables for the README.

    .venv/bin/python bench/quality.py [--errors N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chatdlp import evaluate as ev
from chatdlp.detect import Detector, NlpProfile, load_pipeline
from chatdlp.detect.baseline import PresidioBaseline
from chatdlp.policy import load_policies

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CORPORA = ("dev.jsonl", "technical.jsonl", "heldout.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", type=int, default=0, help="list N masked misses/false alarms")
    args = parser.parse_args()
    profile = NlpProfile.load()
    nlp = load_pipeline(profile)
    policies = load_policies()
    detector = Detector(policies, nlp, profile)
    systems = {
        "chatdlp": ev.chatdlp_system(detector),
        "presidio": ev.presidio_system(PresidioBaseline.as_it_comes(profile), ev.entity_severities(policies)),
    }
    for name in CORPORA:
        corpus = ev.load_corpus(DATA / name)
        started = time.perf_counter()
        scores, predictions = ev.evaluate(corpus, systems)
        elapsed = time.perf_counter() - started
        spans = sum(len(r.spans) for r in corpus)
        print(f"\n### {name}: {len(corpus)} texts, {spans} labeled spans ({elapsed:.1f} s for both)\n")
        print(ev.format_table(scores, markdown=True))
        if args.errors:
            print()
            for line in ev.masked_errors(corpus, predictions["chatdlp"], limit=args.errors):
                print("    " + line)


if __name__ == "__main__":
    main()
