"""Quality gate: chatdlp's default policy on a fixed sample of the shared development corpora.

Fails when a label's recall drops below vanilla Presidio's on the same sample (recorded
below, measured with ``bench/quality.py``'s Presidio baseline), or when the any-span F2
drops more than 0.02 below chatdlp's recorded figure. Skipped when ``../shared/corpora``
(beside the repository) is absent; CI has it.

When detection improves, record the new F2 (the failure message prints every figure).
A corpus of another kind (credentials, say) adds a :class:`Gate` row: its file, its
sample step, the labels it is measured on and its recorded figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from chatdlp import evaluate as ev

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


@dataclass(frozen=True)
class Gate:
    corpus: str
    step: int  # every step-th record, from the first
    labels: frozenset[str]
    kind: str
    presidio_recall: dict[str, float]  # vanilla Presidio on the same sample
    f2: float  # chatdlp's any-span F2 when recorded


GATES = (
    Gate("presidio_research.dev.jsonl", 1, ev.DLP_LABELS, "",
         {"CREDIT_CARD": 1.0, "EMAIL": 1.0, "IBAN": 1.0, "IP": 1.0, "LOCATION": 0.263, "PERSON": 0.614,
          "PHONE": 0.507, "SSN": 1.0},
         f2=0.915),
    Gate("physionet_deid.dev.jsonl", 3, ev.PHI_LABELS, "clinical",
         {"DATE": 0.741, "LOCATION": 0.206, "PERSON": 0.548, "PHONE": 0.667},
         f2=0.874),
)
F2_TOLERANCE = 0.02


@pytest.mark.parametrize("gate", GATES, ids=[g.corpus for g in GATES])
def test_quality_holds(gate: Gate, detector) -> None:
    path = SHARED / gate.corpus
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared development corpora sit beside the repository)")
    records = ev.load_corpus(path)[:: gate.step]
    if gate.kind:
        records = [replace(r, kind=gate.kind) for r in records]
    predictions = ev.chatdlp_system(detector)([r.text for r in records])
    scores = ev.score("chatdlp", records, predictions, gate.labels)
    recall = {label: c.recall for label, c in scores.labels.items() if c.recall is not None}
    f2 = scores.groups["any sensitive span"].f_beta() or 0.0
    figures = f"recall {({k: round(v, 3) for k, v in sorted(recall.items())})}, any-span F2 {f2:.3f}"
    below = {label: (recall.get(label, 0.0), floor) for label, floor in gate.presidio_recall.items()
             if round(recall.get(label, 0.0), 3) < floor}
    assert not below, f"{gate.corpus}: recall below vanilla Presidio's {below}; {figures}"
    assert f2 >= gate.f2 - F2_TOLERANCE, f"{gate.corpus}: any-span F2 fell below {gate.f2}; {figures}"
