"""What each throughput step contributes, in one process, on the bench corpus.

Run by hand (not a test):  .venv/bin/python bench/steps.py [--messages 1500]

Each row adds one step to the row before and times detection alone (the
detector over the same batches of 64 messages; reading and reports excluded):
1. batches through nlp.pipe with precomputed NLP artifacts, the whole pipeline
   (parser and senter excluded);
2. only the components detection uses (tokenizer and ner);
3. NER only where it can find something (prose, sentences with a name candidate);
4. identical texts detected once (the caching runner).
The last step, several processes, is `bench/throughput.py --workers N`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write

from chatdlp.detect import Detector, NlpProfile, gating, load_pipeline
from chatdlp.detect.backends import CachingRunner, LocalRunner
from chatdlp.policy import load_policies
from chatdlp.records import Message


def messages(path: Path) -> list[Message]:
    found = []
    for line in path.read_text().splitlines():
        conversation = json.loads(line)
        for item in conversation["messages"]["data"]:
            found.append(Message(conversation["id"], item["id"], item["author"]["role"],
                                 item["content"]["value"]))
    return found


def timed(runner: object, batches: list[list[Message]]) -> float:
    started = time.perf_counter()
    for _ in runner.run(batches):  # type: ignore[attr-defined]
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write(corpus, args.messages)
        items = messages(corpus)
    chars = sum(len(m.text) for m in items)
    batches = [items[i : i + 64] for i in range(0, len(items), 64)]
    policies = load_policies()
    trimmed = NlpProfile.load()
    whole = replace(trimmed, disable=())
    ungated = gating.NerGate.mask
    print(f"{len(items):,} messages, {chars:,} characters; detection only, one process")
    steps = [
        ("1 batches + precomputed artifacts, whole pipeline", whole, False, False),
        ("2 + only tokenizer and ner", trimmed, False, False),
        ("3 + NER only where it can find something", trimmed, True, False),
        ("4 + identical texts detected once", trimmed, True, True),
    ]
    for label, profile, gated, cached in steps:
        gating.NerGate.mask = ungated if gated else (lambda self, text: text if self.needs_ner else None)  # type: ignore[method-assign]
        detector = Detector(policies, load_pipeline(profile), profile)
        detector.detect(items[:8])  # warm up
        runner = CachingRunner(LocalRunner(detector)) if cached else LocalRunner(detector)
        seconds = timed(runner, batches)
        print(f"{label:<52} {chars / seconds:>10,.0f} chars/s  {len(items) / seconds:7.1f} msg/s")
    gating.NerGate.mask = ungated  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
