"""The pattern-rule engine (RE2, the regex module, the keyword prefilter): CPU time and an
equivalence dump. Run by hand (not a test):

    .venv/bin/python bench/rule_engine.py --time [--whole] [--policy secrets] [--messages 3000]
    .venv/bin/python bench/rule_engine.py --dump FILE [--policy NAME]...

``--time``: CPU seconds (``time.process_time``) of the pattern-rule recognizers alone over
the throughput corpus (``bench/corpus.py``, the one ``bench/throughput.py`` makes), and of the
whole detector (spaCy included) over the same messages. ``--dump``: every judged span
(rule, offsets, reported, score; never a value) of the detector on the shared corpora and the
throughput corpus, one JSON line each, for a diff between two versions of the engine or with
``CHATDLP_PREFILTER=0`` (the prefilter off).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write
from steps import messages

from chatdlp.detect import Detector, NlpProfile, load_pipeline
from chatdlp.policy import load_policies
from chatdlp.records import Message

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"


def throughput_corpus(count: int) -> list[Message]:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write(corpus, count)
        return messages(corpus)


def shared_corpora() -> list[tuple[str, list[Message]]]:
    found = []
    for path in sorted(SHARED.glob("*.jsonl")):
        items = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                items.append(Message(path.stem, str(record["id"]), "user", record["text"]))
        found.append((path.stem, items))
    return found


def cpu(function: object, *args: object) -> float:
    started = time.process_time()
    function(*args)  # type: ignore[operator]
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policy", action="append", default=None)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--time", action="store_true")
    parser.add_argument("--whole", action="store_true", help="with --time: the whole detector too")
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    profile = NlpProfile.load()
    detector = Detector(load_policies(args.policy), load_pipeline(profile), profile)
    corpus = throughput_corpus(args.messages)
    if args.time:
        recognizers = detector._rule_recognizers
        texts = [m.text for m in corpus]
        entities = detector.entities

        def rules_only() -> None:
            for text in texts:
                for recognizer in recognizers:
                    recognizer.analyze(text, entities)

        rules_only()  # warm up (lazy compiles)
        print(f"{len(texts):,} messages, {sum(map(len, texts)):,} characters, {len(recognizers)} rule recognizers")
        print(f"pattern rules alone: {cpu(rules_only):.2f} s CPU")
        if args.whole:
            batches = [corpus[i : i + 64] for i in range(0, len(corpus), 64)]
            print(f"whole detector:      {cpu(lambda: [detector.detect(b) for b in batches]):.2f} s CPU")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for name, items in [*shared_corpora(), ("throughput", corpus)]:
                for start in range(0, len(items), 64):
                    batch = items[start : start + 64]
                    for message, found in zip(batch, detector.detect(batch), strict=True):
                        for d in found:
                            out.write(json.dumps([name, message.message_id, d.rule_id, d.start, d.end,
                                                  d.reported, round(d.score, 6)]) + "\n")
        print(f"timeouts: {detector.regex_timeouts}")


if __name__ == "__main__":
    main()
