"""Quality gate for secrets: chatdlp's SECRET recall, F2 and false-positive rate on the public
credential corpora (CredSweeper's samples, gitleaks' rule examples) must not slip.

Reads ``../shared/corpora`` beside the repository and skips when it is absent. gitleaks is
sampled (every third record, a fixed sample) to keep the test near 20 s on 2 cores; CredSweeper
is scored whole (``ambiguous`` lines left out, as the corpus README asks). The recorded
figures come from ``bench/secret_peers.py``'s scoring on the same samples; raise them when
detection improves. Failures print counts only, never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatdlp import evaluate as ev

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


@dataclass(frozen=True)
class Recorded:
    recall: float
    f2: float
    fp_rate: float | None = None  # share of negatives (gitleaks false positives) flagged


# Measured 2026-12-03 on these samples: CredSweeper R 0.961 P 0.988 F2 0.966; gitleaks (every
# third record) R 0.965 P 0.999 F2 0.972, 2 of 109 negatives flagged (0.018). The gate allows
# no recall loss below the figure, 0.02 of F2, and 0.01 more of the FP rate.
RECORDED = {
    "credsweeper.dev.jsonl": Recorded(recall=0.96, f2=0.966),
    "gitleaks_rules.dev.jsonl": Recorded(recall=0.96, f2=0.97, fp_rate=0.018),
}


def _load(name: str) -> tuple[list[ev.LabeledText], list[bool]]:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"{path} not found (the shared corpora sit beside the repository)")
    records, negative = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        data = json.loads(line)
        if data.get("ambiguous") or (name.startswith("gitleaks") and number % 3):
            continue
        spans = tuple(ev.Span(s["start"], s["end"], s["label"]) for s in data["spans"] if s["label"] == "SECRET")
        records.append(ev.LabeledText(data["id"], data["text"], spans))
        negative.append(data.get("example") == "false_positive")
    return records, negative


@pytest.fixture(scope="module")
def system(spacy_pipeline, nlp_profile):
    from chatdlp.detect import Detector
    from chatdlp.policy import load_policies

    return ev.chatdlp_system(Detector(load_policies(), spacy_pipeline, nlp_profile))


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_secret_quality_does_not_slip(name: str, system) -> None:
    records, negative = _load(name)
    predictions = [[p for p in ps if p.label == "SECRET"] for ps in system([r.text for r in records])]
    counts = ev.score(name, records, predictions).labels["SECRET"]
    recorded = RECORDED[name]
    recall, f2 = counts.recall or 0.0, counts.f_beta() or 0.0
    assert recall >= recorded.recall, f"{name}: SECRET recall {recall:.3f} < recorded {recorded.recall}"
    assert f2 >= recorded.f2 - 0.02, f"{name}: SECRET F2 {f2:.3f} < recorded {recorded.f2} - 0.02"
    if recorded.fp_rate is not None:
        flagged = sum(bool(p) for p, neg in zip(predictions, negative, strict=True) if neg)
        rate = flagged / sum(negative)
        assert rate <= recorded.fp_rate + 0.01, f"{name}: {flagged} of {sum(negative)} negatives flagged ({rate:.3f})"
