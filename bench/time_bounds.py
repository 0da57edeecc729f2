"""The worst single messages for detection time, with the default policy, one process.

Run by hand (not a test):

    .venv/bin/python bench/time_bounds.py [--unbounded] [--only NAME]

Cases: 116 KB of digit-heavy JSON (every number a phone candidate: Presidio's phone matcher
took about 5 s on it), 1 MB of prose with names, places and dates in every sentence (NER
reads what the gate keeps), 100 KB of ``(`` (quadratic in spaCy's tokenizer), 100 KB of
minified JSON. Each is detected alone with the default policy by a Detector built once
(the spaCy pipeline loaded once, outside the figures); the message's CPU time (user+sys of
this process) is the primary figure, wall time beside it, and what the bounds did: the
characters handed to the phone matcher and to NER, and the cuts counted (they reach the
summary and fail ``--strict``). ``--unbounded`` lifts the phone cap, NER's per-message cap
and the budgets (the windows stay) for the figure without bounds; ``--src DIR`` runs another
checkout's ``src`` (``--src /work/main/src``: the code before the bounds, whose figures have
no "read" columns).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path


def digit_json(size: int) -> str:
    rng = random.Random(18)
    rows: list[str] = []
    total = 0
    while total < size:
        row = json.dumps({"id": rng.randint(10**6, 10**10), "ts": rng.randint(10**9, 2 * 10**9),
                          "v": [rng.randint(0, 99_999) for _ in range(4)], "p": round(rng.random() * 1000, 3)})
        rows.append(row)
        total += len(row) + 2
    return "[" + ", ".join(rows) + "]"


def prose(size: int) -> str:
    rng = random.Random(5)
    people = ("Maria Gonzalez", "Tobias Reinholt", "Aiko Tanaka", "Samuel Okafor", "Ingrid Holm")
    places = ("Lisbon", "Leeds", "Osaka", "Lagos", "Bergen")
    days = ("Tuesday", "last week", "3 March", "yesterday", "next month")
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = (f"{rng.choice(people)} met the team in {rng.choice(places)} on {rng.choice(days)} "
                    f"to review the draft and the quarterly numbers. ")
        parts.append(sentence)
        total += len(sentence)
    return "".join(parts)[:size]


def minified(size: int) -> str:
    rows = [{"name": f"item-{index}", "tags": ["alpha", "beta"], "ok": True} for index in range(size // 48)]
    return json.dumps(rows, separators=(",", ":"))


CASES: dict[str, Callable[[], str]] = {
    "digit-json-116k": lambda: digit_json(116_000),
    "prose-1m": lambda: prose(1_000_000),
    "parens-100k": lambda: "(" * 100_000,
    "minified-json-100k": lambda: minified(100_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unbounded", action="store_true", help="lift the caps and budgets (windows stay)")
    parser.add_argument("--only", choices=sorted(CASES), action="append")
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from chatdlp.records import Message

    if args.unbounded:
        from chatdlp.detect import bounded

        bounded.PHONE_CANDIDATES = 10**12
        for name in ("CHATDLP_REGEX_MESSAGE_BUDGET", "CHATDLP_REGEX_RUN_BUDGET"):
            os.environ[name] = str(10**9)
    from chatdlp.detect.engine import Detector
    from chatdlp.detect.nlp import NlpProfile, load_pipeline
    from chatdlp.policy.loader import load_policies

    profile = NlpProfile.load()
    detector = Detector(load_policies(), load_pipeline(profile), profile)
    if args.unbounded:
        detector.nlp_engine.ner_message_chars = 10**12
    phone = getattr(detector, "bounds", {}).get("PhoneRecognizer")  # None: code without bounds
    print(f"{args.src}: {'bounds lifted' if args.unbounded else 'as is'}; load {os.getloadavg()[0]:.1f}",
          flush=True)
    for name in args.only or list(CASES):
        text = CASES[name]()
        phone_read = phone.characters_read if phone else 0
        ner_read = detector.nlp_engine.ner_characters
        cuts_before = dict(detector.regex_timeouts)
        cpu, wall = time.process_time(), time.perf_counter()
        [found] = detector.detect([Message("c", name, "user", text)])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        cuts = {k: n - cuts_before.get(k, 0) for k, n in detector.regex_timeouts.items()
                if n != cuts_before.get(k, 0)}
        print(f"{name:>20}  {len(text):>9,} chars  CPU {cpu:6.2f} s  wall {wall:6.2f} s  "
              f"phone read {f'{phone.characters_read - phone_read:,}' if phone else '-':>9}  NER read "
              f"{detector.nlp_engine.ner_characters - ner_read:>9,}  findings {sum(d.reported for d in found):>5,}  "
              f"cuts {sum(cuts.values())} {sorted(cuts)}  load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
