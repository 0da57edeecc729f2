"""Secret detection against peers on the public credential corpora. Not a test; prints
Markdown tables for the README.

    .venv/bin/pip install -e '.[peers]'    # detect-secrets and credsweeper (benchmark only)
    .venv/bin/python bench/secret_peers.py [--errors N] [--only chatdlp,presidio,...]

Corpora (read from ``../shared/corpora`` beside the repository; a missing one is skipped):

- ``credsweeper.dev.jsonl``: CredSweeper's labelled sample lines; ``ambiguous: true`` lines
  are left out.
- ``gitleaks_rules.dev.jsonl``: gitleaks' rule examples; true positives carry the secret as
  a SECRET span, false positives (``spans: []``) are the negatives. ``ambiguous: true``
  records are left out. Besides the pooled figures, recall is averaged per ``rule_id``
  (gitleaks writes one secret in ~25 syntaxes: pooled figures count it 25 times).

Systems, each given the texts of a corpus and returning SECRET spans:

- ``chatdlp``: the default policy (every shipped pack but the example), through
  :func:`chatdlp.evaluate.chatdlp_system`: every reported ``secret``-category detection.
- ``presidio``: vanilla Presidio (default recognizers and NER, as ``chatdlp eval
  --baseline presidio``): it has no secret recognizer, so it finds none.
- ``detect-secrets`` (Yelp, library API): ``detect_secrets.core.scan.scan_line`` on each
  line of each text inside ``default_settings()`` (every default plugin and filter); a
  result's ``secret_value`` is located in its line to get the span (first occurrence).
- ``credsweeper`` (Samsung, library API): every text written to a temporary file
  ``<n>.txt`` and the lot scanned in one ``CredSweeper().run(FilesProvider(paths))`` with
  its defaults (ML validation on, medium threshold); each credential's ``line_num`` /
  ``value_start`` / ``value_end`` give the span.

Scoring is :func:`chatdlp.evaluate.score` (overlap matching, SECRET label only). The
false-positive rate is the share of gitleaks negatives with at least one SECRET span.
``--errors N`` lists chatdlp's misses and false alarms as masked excerpts
(:func:`chatdlp.evaluate.masked_errors`): no secret value is ever printed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chatdlp import evaluate as ev
from chatdlp.records import Severity

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
SECRET = ev.SECRET_LABEL
System = Callable[[Sequence[str]], list[list[ev.Predicted]]]


@dataclass(frozen=True)
class Corpus:
    name: str
    records: list[ev.LabeledText]
    rule_ids: list[str]  # gitleaks rule per record ("" elsewhere)
    negative: list[bool]  # a listed false positive (gitleaks)


def load(name: str) -> Corpus | None:
    path = CORPORA / name
    if not path.exists():
        return None
    records, rule_ids, negative = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data.get("ambiguous"):
            continue
        spans = tuple(ev.Span(s["start"], s["end"], s["label"]) for s in data["spans"] if s["label"] == SECRET)
        records.append(ev.LabeledText(data["id"], data["text"], spans))
        rule_ids.append(str(data.get("rule_id", "")))
        negative.append(data.get("example") == "false_positive")
    return Corpus(name, records, rule_ids, negative)


def _spans_of(text: str, line_starts: list[int], line: int, start: int, end: int) -> ev.Predicted | None:
    if not 0 <= line < len(line_starts) or end <= start:
        return None
    offset = line_starts[line]
    return ev.Predicted(offset + start, min(len(text), offset + end), SECRET, Severity.HIGH, "peer")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def detect_secrets_system() -> System:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    def run(texts: Sequence[str]) -> list[list[ev.Predicted]]:
        out: list[list[ev.Predicted]] = []
        with default_settings():
            for text in texts:
                found: list[ev.Predicted] = []
                starts = _line_starts(text)
                for number, line in enumerate(text.split("\n")):
                    for secret in scan_line(line):
                        value = secret.secret_value or ""
                        at = line.find(value) if value else -1
                        span = _spans_of(text, starts, number, at, at + len(value)) if at >= 0 else None
                        if span is not None:
                            found.append(span)
                out.append(found)
        return out

    return run


def credsweeper_system() -> System:
    from credsweeper import CredSweeper
    from credsweeper.file_handler.files_provider import FilesProvider

    def run(texts: Sequence[str]) -> list[list[ev.Predicted]]:
        out: list[list[ev.Predicted]] = [[] for _ in texts]
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for index, text in enumerate(texts):
                path = Path(tmp) / f"{index}.txt"
                path.write_text(text, encoding="utf-8")
                paths.append(str(path))
            sweeper = CredSweeper()
            sweeper.run(content_provider=FilesProvider(paths))
            for candidate in sweeper.credential_manager.get_credentials():
                for data in candidate.line_data_list:
                    index = int(Path(data.path).stem)
                    text = texts[index]
                    span = _spans_of(text, _line_starts(text), data.line_num - 1, data.value_start, data.value_end)
                    if span is not None:
                        out[index].append(span)
        return out

    return run


def chatdlp_and_presidio() -> dict[str, System]:
    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.detect.baseline import PresidioBaseline
    from chatdlp.policy import load_policies

    profile = NlpProfile.load()
    policies = load_policies()
    detector = Detector(policies, load_pipeline(profile), profile)
    presidio = ev.presidio_system(PresidioBaseline.as_it_comes(profile), ev.entity_severities(policies))
    return {"chatdlp": ev.chatdlp_system(detector), "presidio": presidio}


@dataclass(frozen=True)
class SecretScores:
    precision: float | None
    recall: float | None
    f2: float | None
    predicted: int
    gold: int
    rule_recall: float | None  # mean of per-rule recall (gitleaks)
    fp_rate: float | None  # share of negatives with a SECRET span (gitleaks)


def secret_scores(corpus: Corpus, predictions: Sequence[Sequence[ev.Predicted]]) -> SecretScores:
    """SECRET precision/recall/F2 (overlap), per-rule recall and the FP rate on negatives."""
    only = [[p for p in ps if p.label == SECRET] for ps in predictions]
    counts = ev.score("x", corpus.records, only).labels.get(SECRET, ev.Counts())
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    negatives = flagged = 0
    for record, rule, negative, preds in zip(corpus.records, corpus.rule_ids, corpus.negative, only, strict=True):
        for gold in record.spans:
            per_rule[rule][0] += 1
            per_rule[rule][1] += any(p.overlaps(gold) for p in preds)
        if negative:
            negatives += 1
            flagged += bool(preds)
    rules = [found / total for total, found in per_rule.values() if total]
    return SecretScores(
        counts.precision, counts.recall, counts.f_beta(), counts.predicted, counts.gold,
        sum(rules) / len(rules) if len(per_rule) > 1 else None,
        flagged / negatives if negatives else None,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", type=int, default=0, help="list N masked chatdlp misses/false alarms")
    parser.add_argument("--only", default="", help="comma-separated systems (default: all available)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # peers' deprecation noise; nothing here depends on it
    systems: dict[str, System] = chatdlp_and_presidio()
    for name, factory in (("detect-secrets", detect_secrets_system), ("credsweeper", credsweeper_system)):
        try:
            systems[name] = factory()
        except ImportError:
            print(f"({name} is not installed: pip install -e '.[peers]')")
    if args.only:
        systems = {k: v for k, v in systems.items() if k in args.only.split(",")}
    for file in ("credsweeper.dev.jsonl", "gitleaks_rules.dev.jsonl"):
        corpus = load(file)
        if corpus is None:
            print(f"\n({CORPORA / file} not found: skipped)")
            continue
        gold = sum(len(r.spans) for r in corpus.records)
        negatives = sum(corpus.negative)
        print(f"\n### {file}: {len(corpus.records)} texts, {gold} SECRET spans, {negatives} negatives\n")
        print("| system | P | R | F2 | predicted | recall per rule | FP rate on negatives | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        chatdlp_predictions: list[list[ev.Predicted]] = []
        for name, system in systems.items():
            started = time.perf_counter()
            predictions = system([r.text for r in corpus.records])
            seconds = time.perf_counter() - started
            s = secret_scores(corpus, predictions)
            print(f"| {name} | {_fmt(s.precision)} | {_fmt(s.recall)} | {_fmt(s.f2)} | {s.predicted} | "
                  f"{_fmt(s.rule_recall)} | {_fmt(s.fp_rate)} | {seconds:.0f} |")
            if name == "chatdlp":
                chatdlp_predictions = predictions
        if args.errors and chatdlp_predictions:
            print()
            only = [[p for p in ps if p.label == SECRET] for ps in chatdlp_predictions]
            for line in ev.masked_errors(corpus.records, only, limit=args.errors):
                print("    " + line)


if __name__ == "__main__":
    main()
