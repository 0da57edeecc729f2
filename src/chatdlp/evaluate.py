"""Scoring detection on a labeled corpus: precision, recall and F2 per label, overlap matching.

A corpus is JSONL, one record per line::

    {"id": str, "text": str, "spans": [{"start": int, "end": int, "label": str}], "kind"?: str}

``kind`` is optional (``clinical``, ``code``, ``email`` ...): groups can be
restricted to one kind (the PHI target is measured on clinical notes only).
``ambiguous: true`` marks a record whose label its source leaves uncertain: it
is left out of every count.

Gold labels are coarse and tool-neutral; :data:`LABEL_ENTITIES` says which
detector entities count as each label. A detection whose entity is in no
label's set keeps its entity name as its label (``URL``, ``NRP``,
``US_DRIVER_LICENSE``): with no gold spans of that name it can only be a false
alarm. Every detection of a ``secret``-category rule counts as ``SECRET``.

Gold labels may be written as coarse labels (``PHONE``) or as entity names
(``PHONE_NUMBER``, as in the shared development corpora); both are read through
:func:`label_of`. ``OTHER`` marks a span whose source type has no clear mapping:
it is neither found nor missed, and a detection on it is neither right nor wrong.
:func:`score` can be limited to a label set (the labels a corpus is measured on):
gold spans of other labels then count like OTHER; every detection still counts (a
finding on a span nobody asked for is a false alarm).

Matching is by overlap: a gold span is found (recall) when a detection with the
same label overlaps it; a detection is right (precision) when it overlaps a gold
span of the same label. Groups match any label of the group with any other.

Nothing here prints or returns span text: results are counts, and error
listings are masked excerpts (:func:`masked_errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatdlp.entities import label_entities
from chatdlp.errors import ConfigError
from chatdlp.records import Category, Message, Severity

# Gold label -> the detector entities that count as that label (chatdlp's and Presidio's
# names): the entity table's label column.
LABEL_ENTITIES: Mapping[str, frozenset[str]] = label_entities()
SECRET_LABEL = "SECRET"
IGNORED_LABEL = "OTHER"

# What a DLP scanner is asked for in general text (dates, URLs and organisations are not).
DLP_LABELS = frozenset({
    "PERSON", "LOCATION", "EMAIL", "PHONE", "SSN", "CREDIT_CARD", "IBAN", "IP", "US_DRIVER_LICENSE", "AGE",
})
# In clinical notes every HIPAA identifier counts, dates included.
PHI_LABELS = frozenset({"PERSON", "DATE", "LOCATION", "PHONE", "ID", "AGE"})


@dataclass(frozen=True)
class Group:
    """Labels scored together (any label of the group matches any other)."""

    name: str
    labels: frozenset[str] | None  # None: every label
    kind: str | None = None  # only records of this kind


GROUPS: tuple[Group, ...] = (
    Group("any sensitive span", None),
    Group("secrets", frozenset({SECRET_LABEL})),
    Group("structured ids", frozenset({"SSN", "CREDIT_CARD", "IBAN", "EMAIL", "PHONE", "IP"})),
    Group("PHI in clinical notes", frozenset({"PERSON", "DATE", "LOCATION", "PHONE", "ID", "AGE"}),
          kind="clinical"),
)


def label_of(entity: str, category: Category | None = None) -> str:
    """The gold label a detection of ``entity`` counts as."""
    if category is Category.SECRET:
        return SECRET_LABEL
    for label, entities in LABEL_ENTITIES.items():
        if entity in entities:
            return label
    return entity


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class LabeledText:
    id: str
    text: str
    spans: tuple[Span, ...]
    kind: str = ""
    ambiguous: bool = False


@dataclass(frozen=True)
class Predicted(Span):
    severity: Severity = Severity.MEDIUM
    entity: str = ""


def load_corpus(path: Path) -> list[LabeledText]:
    """Read a labeled corpus; ConfigError naming the line on any malformed record."""
    records: list[LabeledText] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"corpus {path}: cannot read: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            text = data["text"]
            spans = tuple(
                Span(int(s["start"]), int(s["end"]), label_of(str(s["label"]))) for s in data.get("spans", [])
            )
            record = LabeledText(
                str(data["id"]), text, spans, str(data.get("kind", "")), data.get("ambiguous") is True
            )
        except (ValueError, KeyError, TypeError) as exc:
            problem = (f"no {exc.args[0]!r} field" if isinstance(exc, KeyError) else "not valid JSON"
                       if isinstance(exc, json.JSONDecodeError) else "a field has the wrong type")
            raise ConfigError(f"corpus {path}:{number}: not a labeled record ({problem}; expected "
                              '{"id", "text", "spans": [{"start", "end", "label"}]})') from None
        if not isinstance(text, str):
            raise ConfigError(f"corpus {path}:{number}: 'text' must be a string")
        for span in spans:
            if not 0 <= span.start < span.end <= len(text):
                raise ConfigError(f"corpus {path}:{number}: span {span.start}-{span.end} is outside the text")
        records.append(record)
    return records


# A system under evaluation: texts in, predicted spans (with labels) out.
System = Callable[[Sequence[str]], list[list[Predicted]]]


def chatdlp_system(detector: Any) -> System:
    """chatdlp's reported detections, labeled through :func:`label_of`."""

    def run(texts: Sequence[str]) -> list[list[Predicted]]:
        messages = [
            Message(conversation_id="eval", message_id=str(i), role="user", text=text)
            for i, text in enumerate(texts)
        ]
        out = []
        for detections in detector.detect(messages):
            out.append([
                Predicted(d.start, d.end, label_of(d.entity_type, d.category), d.severity, d.entity_type)
                for d in detections if d.reported
            ])
        return out

    return run


def presidio_system(baseline: Any, severities: Mapping[str, Severity]) -> System:
    """Vanilla Presidio's results; severity borrowed from the chatdlp rule for the same entity
    (medium for entities chatdlp has no rule for)."""

    def run(texts: Sequence[str]) -> list[list[Predicted]]:
        return [
            [
                Predicted(r.start, r.end, label_of(r.entity_type),
                          severities.get(r.entity_type, Severity.MEDIUM), r.entity_type)
                for r in results
            ]
            for results in baseline.analyze(texts)
        ]

    return run


def entity_severities(policies: Any) -> dict[str, Severity]:
    """The highest severity any rule gives each entity."""
    out: dict[str, Severity] = {}
    for rule in policies.rules:
        if rule.entity not in out or rule.severity.rank > out[rule.entity].rank:
            out[rule.entity] = rule.severity
    return out


@dataclass
class Counts:
    gold: int = 0
    found: int = 0  # gold spans matched
    predicted: int = 0
    correct: int = 0  # predictions matching gold

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    def f_beta(self, beta: float = 2.0) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return (1 + beta**2) * p * r / (beta**2 * p + r)


@dataclass
class Scores:
    system: str
    texts: int
    labels: dict[str, Counts] = field(default_factory=dict)
    groups: dict[str, Counts] = field(default_factory=dict)
    findings: int = 0
    findings_medium_plus: int = 0

    def per_1000(self, count: int) -> float:
        return 1000.0 * count / self.texts if self.texts else 0.0


def _count(
    golds: Sequence[Sequence[Span]], preds: Sequence[Sequence[Predicted]],
    keep: Callable[[str], bool], same: Callable[[str, str], bool],
) -> Counts:
    counts = Counts()
    for gold, pred in zip(golds, preds, strict=True):
        gold_kept = [g for g in gold if keep(g.label)]
        pred_kept = [p for p in pred if keep(p.label)]
        ignored = [g for g in gold if g.label == IGNORED_LABEL]
        if ignored:  # a detection on an OTHER span counts neither way
            gold_kept = [g for g in gold_kept if g.label != IGNORED_LABEL]
            pred_kept = [p for p in pred_kept if not any(p.overlaps(g) for g in ignored)
                         or any(p.overlaps(g) for g in gold_kept)]
        counts.gold += len(gold_kept)
        counts.predicted += len(pred_kept)
        counts.found += sum(
            any(p.overlaps(g) and same(p.label, g.label) for p in pred_kept) for g in gold_kept
        )
        counts.correct += sum(
            any(p.overlaps(g) and same(p.label, g.label) for g in gold_kept) for p in pred_kept
        )
    return counts


def _is(label: str) -> Callable[[str], bool]:
    return lambda x: x == label


def _member_of(labels: frozenset[str]) -> Callable[[str], bool]:
    return lambda x: x in labels


def _any_label(label: str) -> bool:
    return True


def _same_label(a: str, b: str) -> bool:
    return a == b


def _any_pair(a: str, b: str) -> bool:
    return True


def score(
    name: str, corpus: Sequence[LabeledText], predictions: Sequence[Sequence[Predicted]],
    labels_asked: frozenset[str] | None = None,
) -> Scores:
    """Counts per label and group; with ``labels_asked``, only those labels count."""
    kept = [i for i, r in enumerate(corpus) if not r.ambiguous]
    corpus = [corpus[i] for i in kept]
    predictions = [predictions[i] for i in kept]
    if labels_asked is not None:  # a gold span of a label not asked for counts like OTHER
        corpus = [replace(r, spans=tuple(
            s if s.label in labels_asked else replace(s, label=IGNORED_LABEL) for s in r.spans
        )) for r in corpus]
    golds = [r.spans for r in corpus]
    result = Scores(name, len(corpus))
    labels = sorted(
        ({s.label for g in golds for s in g} | {p.label for ps in predictions for p in ps}) - {IGNORED_LABEL}
    )
    for label in labels:
        result.labels[label] = _count(golds, predictions, _is(label), _same_label)
    for group in GROUPS:
        chosen = [i for i, r in enumerate(corpus) if group.kind is None or r.kind == group.kind]
        if not chosen:
            continue
        members = group.labels
        result.groups[group.name] = _count(
            [golds[i] for i in chosen], [predictions[i] for i in chosen],
            _any_label if members is None else _member_of(members),
            _any_pair,
        )
    result.findings = sum(len(p) for p in predictions)
    result.findings_medium_plus = sum(
        1 for ps in predictions for p in ps if p.severity.rank >= Severity.MEDIUM.rank
    )
    return result


def evaluate(
    corpus: Sequence[LabeledText], systems: Mapping[str, System], labels_asked: frozenset[str] | None = None,
) -> tuple[list[Scores], dict[str, list[list[Predicted]]]]:
    texts = [r.text for r in corpus]
    all_scores, all_predictions = [], {}
    for name, system in systems.items():
        predictions = system(texts)
        all_predictions[name] = predictions
        all_scores.append(score(name, corpus, predictions, labels_asked))
    return all_scores, all_predictions


def _fmt(value: float | None) -> str:
    return "   - " if value is None else f"{value:5.2f}"


def format_table(scores: Sequence[Scores], markdown: bool = False) -> str:
    """One row per group and label: gold count, then P / R / F2 / predicted per system."""
    names = [s.system for s in scores]
    rows: list[list[str]] = []
    keys = [("group", g) for g in scores[0].groups] + [
        ("label", lab) for lab in sorted({lab for s in scores for lab in s.labels})
    ]
    for kind, key in keys:
        cells = []
        gold = 0
        for s in scores:
            c = (s.groups if kind == "group" else s.labels).get(key, Counts())
            gold = max(gold, c.gold)
            cells += [_fmt(c.precision), _fmt(c.recall), _fmt(c.f_beta()), str(c.predicted)]
        title = f"[{key}]" if kind == "group" else key
        rows.append([title, str(gold), *cells])
    rows.append(["findings / 1,000 texts", "", *[
        x for s in scores for x in ("", "", f"{s.per_1000(s.findings):.0f}", "")
    ]])
    rows.append(["medium+ findings / 1,000", "", *[
        x for s in scores for x in ("", "", f"{s.per_1000(s.findings_medium_plus):.0f}", "")
    ]])
    header = ["", "gold", *[f"{n} {m}" for n in names for m in ("P", "R", "F2", "pred")]]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
           for r in [header, *rows]]
    return "\n".join(out)


def masked_errors(
    corpus: Sequence[LabeledText], predictions: Sequence[Sequence[Predicted]], limit: int = 20,
    window: int = 30, labels_asked: frozenset[str] | None = None, only_label: str | None = None,
) -> list[str]:
    """Misses and false alarms as masked excerpts: the value itself is never shown."""
    from chatdlp.report.redact import redact_excerpt

    def asked(label: str) -> bool:
        return label != IGNORED_LABEL and (labels_asked is None or label in labels_asked)

    def listed(label: str) -> bool:
        return only_label is None or label == only_label

    lines: list[str] = []
    for record, preds in zip(corpus, predictions, strict=True):
        if record.ambiguous:
            continue
        spans = [(s.start, s.end, s.label) for s in record.spans] + [(p.start, p.end, p.label) for p in preds]
        ignored = [s for s in record.spans if not asked(s.label)]
        for g in record.spans:
            found = any(p.overlaps(g) and p.label == g.label for p in preds)
            if asked(g.label) and listed(g.label) and not found:
                excerpt = redact_excerpt(record.text, spans, g.start, g.end, window=window)
                lines.append(f"miss        {record.id} {g.label} chars {g.start}-{g.end}: {excerpt}")
        for p in preds:
            if not listed(p.label) or any(p.overlaps(g) for g in ignored):
                continue
            if not any(p.overlaps(g) and p.label == g.label for g in record.spans):
                excerpt = redact_excerpt(record.text, spans, p.start, p.end, window=window)
                lines.append(
                    f"false alarm {record.id} {p.label} ({p.entity}, {p.severity.value}) "
                    f"chars {p.start}-{p.end}: {excerpt}"
                )
        if len(lines) >= limit:
            break
    return lines[:limit]
