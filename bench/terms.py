"""Benchmark: a confidential-terms rule with 100,000 codenames vs one with ten.

Run by hand (not a test):  .venv/bin/python bench/terms.py [--messages 600] [--repeats 3]

It generates a deterministic chat corpus, builds two detectors that differ only
in the size of their terms list, and times detection of the same messages with
each. NER is the same in both (the pii pack's PERSON rule rides along), so the
difference is the cost of the term matcher alone, which is what we measure too
(matcher-only timings, without Presidio or spaCy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from chatdlp.detect import Detector, NlpProfile, load_pipeline
from chatdlp.detect.rules import TermMatcher
from chatdlp.policy import load_policies
from chatdlp.records import Message

WORDS = (
    "the report shows revenue growth in the third quarter and the team plans to "
    "review the roadmap with finance before the board meeting next week please "
    "summarise the key risks and draft an email to the project leads"
).split()


def codenames(n: int, rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mir", "ven", "tor", "sel", "qua", "dri", "mon", "zel", "pha", "rix"]
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(syllables) for _ in range(rng.randint(3, 5))).capitalize())
    return sorted(names)


def corpus(n: int, terms: list[str], rng: random.Random) -> list[Message]:
    messages = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(40, 160))]
        if i % 10 == 0:  # one message in ten mentions a codename
            words.insert(rng.randrange(len(words)), rng.choice(terms))
        messages.append(Message("bench", str(i), "user", " ".join(words)))
    return messages


def policy_file(directory: Path, name: str, terms: list[str]) -> Path:
    (directory / f"{name}.txt").write_text("\n".join(terms) + "\n")
    path = directory / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: {name}\nrules:\n  - id: bench.{name}\n    entity: CODENAME\n"
        f"    category: confidential\n    severity: high\n    terms_file: {name}.txt\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    large = codenames(100_000, rng)
    small = large[:10]
    messages = corpus(args.messages, small, rng)  # hits only on terms both lists share
    chars = sum(len(m.text) for m in messages)
    profile = NlpProfile.load()
    nlp = load_pipeline(profile)
    print(f"corpus: {len(messages):,} messages, {chars:,} characters")

    for label, terms in (("10 terms", small), ("100,000 terms", large)):
        start = time.perf_counter()
        matcher = TermMatcher(tuple(terms))
        built = time.perf_counter() - start
        start = time.perf_counter()
        hits = sum(len(matcher.find(m.text)) for m in messages)
        matched = time.perf_counter() - start
        print(f"matcher only, {label:>14}: build {built * 1000:7.1f} ms, match {matched * 1000:7.1f} ms "
              f"({chars / matched / 1e6:,.1f} M chars/s), {hits} hits")

    with tempfile.TemporaryDirectory() as tmp:
        detectors = {}
        for label, terms in (("10 terms", small), ("100,000 terms", large)):
            path = policy_file(Path(tmp), "big" if len(terms) > 10 else "small", terms)
            start = time.perf_counter()
            detectors[label] = Detector(load_policies([str(path), "pii"]), nlp, profile)
            print(f"detector build with {label:>13}: {time.perf_counter() - start:5.2f} s")
        timings: dict[str, list[float]] = {label: [] for label in detectors}
        found: dict[str, int] = {}
        for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
            for label, detector in detectors.items():
                start = time.perf_counter()
                found[label] = 0
                for i in range(0, len(messages), 64):
                    for detections in detector.detect(messages[i : i + 64]):
                        found[label] += sum(
                            1 for d in detections if d.reported and d.entity_type == "CODENAME"
                        )
                timings[label].append(time.perf_counter() - start)
        for label, runs in timings.items():
            median = statistics.median(runs)
            print(f"full detector, {label:>13}: median scan {median:6.2f} s of {len(runs)} runs "
                  f"({chars / median:,.0f} chars/s), {found[label]} codename findings")

if __name__ == "__main__":
    main()
