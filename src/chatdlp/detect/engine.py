"""The detector: a Presidio AnalyzerEngine built once from a policy set and an NLP pipeline.

Messages are analysed in batches: spaCy runs once per batch through
``nlp.pipe`` and Presidio gets the precomputed NLP artifacts. Results are then
judged by chatdlp's own per-rule logic (thresholds, roles), which Presidio has
no notion of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

from chatdlp.detect.chunks import split_text
from chatdlp.detect.nlp import NlpProfile
from chatdlp.detect.recognizers import build_recognizer
from chatdlp.policy.model import PolicySet, Rule
from chatdlp.records import Detection, Message


@dataclass(frozen=True)
class _Raw:
    entity: str
    start: int
    end: int
    score: float


class PreloadedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline chatdlp has already loaded.

    Presidio's own ``load()`` would download a missing model; this engine is
    handed its pipeline and never loads anything.
    """

    def __init__(self, nlp: Any, profile: NlpProfile) -> None:
        super().__init__(
            models=[{"lang_code": profile.language, "model_name": profile.name}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=profile.entity_mapping,
                labels_to_ignore=list(profile.labels_to_ignore),
                low_score_entity_names=[],
            ),
        )
        self.nlp = {profile.language: nlp}

    def load(self) -> None:  # the pipeline is injected
        return None


class Detector:
    """Finds the spans a policy set asks for in batches of messages."""

    def __init__(self, policies: PolicySet, nlp: Any, profile: NlpProfile, batch_size: int = 64):
        self.policies = policies
        self.profile = profile
        self.batch_size = batch_size
        self.language = profile.language
        self.nlp_engine = PreloadedSpacyNlpEngine(nlp, profile)
        self.analyzer = AnalyzerEngine(
            registry=self._registry(policies),
            nlp_engine=self.nlp_engine,
            supported_languages=[self.language],
        )
        self.entities = policies.entities

    def _registry(self, policies: PolicySet) -> RecognizerRegistry:
        by_recognizer: dict[str, list[str]] = defaultdict(list)
        for rule in policies.rules:
            if rule.recognizer and rule.entity not in by_recognizer[rule.recognizer]:
                by_recognizer[rule.recognizer].append(rule.entity)
        recognizers = [
            build_recognizer(reference, entities, self.language)
            for reference, entities in sorted(by_recognizer.items())
        ]
        return RecognizerRegistry(recognizers=recognizers, supported_languages=[self.language])

    def detect(self, messages: Sequence[Message]) -> list[list[Detection]]:
        """Detections for each message, in the order given."""
        pieces: list[tuple[int, int, str]] = []
        for index, message in enumerate(messages):
            for offset, chunk in split_text(
                message.text, self.profile.max_chunk_chars, self.profile.chunk_overlap_chars
            ):
                pieces.append((index, offset, chunk))
        raw: list[set[_Raw]] = [set() for _ in messages]
        artifacts = self.nlp_engine.process_batch(
            [chunk for _, _, chunk in pieces], self.language, batch_size=self.batch_size
        )
        for (index, offset, chunk), (_, nlp_artifacts) in zip(pieces, artifacts, strict=False):
            results: list[RecognizerResult] = self.analyzer.analyze(
                chunk, self.language, entities=self.entities, nlp_artifacts=nlp_artifacts
            )
            for result in results:
                raw[index].add(
                    _Raw(
                        result.entity_type, result.start + offset, result.end + offset,
                        result.score,
                    )
                )
        return [self._judge(message, found) for message, found in zip(messages, raw, strict=False)]

    def _judge(self, message: Message, found: set[_Raw]) -> list[Detection]:
        """Apply per-rule thresholds and roles; resolve overlaps between reported spans."""
        detections: list[Detection] = []
        for item in sorted(found, key=lambda r: (r.start, r.end, r.entity)):
            rule = self.policies.rule_for(item.entity)
            if rule is None:
                continue
            detections.append(_detection(rule, item, self._reportable(rule, item, message)))
        return _resolve_overlaps(detections)

    @staticmethod
    def _reportable(rule: Rule, item: _Raw, message: Message) -> bool:
        return item.score >= rule.min_score and rule.applies_to(message.role)


def _detection(rule: Rule, item: _Raw, reported: bool) -> Detection:
    return Detection(
        rule_id=rule.id,
        entity_type=item.entity,
        category=rule.category,
        severity=rule.severity,
        score=item.score,
        start=item.start,
        end=item.end,
        policy=rule.policy,
        reported=reported,
    )


def _resolve_overlaps(detections: list[Detection]) -> list[Detection]:
    """Among overlapping reported spans keep the most certain (then most severe, longest).

    The losers stay in the list unreported, so they are still masked in excerpts.
    """
    order = sorted(
        (d for d in detections if d.reported),
        key=lambda d: (-d.score, -d.severity.rank, -(d.end - d.start), d.start),
    )
    kept: list[Detection] = []
    for candidate in order:
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    kept_ids = {id(d) for d in kept}
    resolved = [
        d if (not d.reported or id(d) in kept_ids) else replace(d, reported=False)
        for d in detections
    ]
    return sorted(resolved, key=lambda d: (d.start, d.end, d.entity_type))

