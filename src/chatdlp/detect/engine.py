"""The detector: a Presidio AnalyzerEngine built once from a policy set and an NLP pipeline.

Messages are analysed in batches: spaCy runs once per batch through
``nlp.pipe`` and Presidio gets the precomputed NLP artifacts. Each Presidio
result is traced to the policy rule that produced it and judged by chatdlp's own
per-rule logic (context window, ``near``, ``allow``, roles, threshold), which
Presidio has no notion of. Every judged span is kept, reported or not, so
excerpts can mask it.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import regex
from presidio_analyzer import AnalyzerEngine, RecognizerResult

from chatdlp.detect.bounded import CUT_NER, RecognizerBounds
from chatdlp.detect.clinical import is_clinical, veto
from chatdlp.detect.edm import EdmIndex, edm_detections
from chatdlp.detect.gating import NerGate
from chatdlp.detect.matching import Budget, Matcher
from chatdlp.detect.names import NameFinder, NameLexicon, is_caseless
from chatdlp.detect.ner_scoring import ner_score
from chatdlp.detect.nlp import NlpProfile
from chatdlp.detect.nlp_engine import (
    NAME_PATTERN_ENTITIES,
    TITLE_BEFORE,
    FixedRegistry,
    PreloadedSpacyNlpEngine,
    WindowContextEnhancer,
)
from chatdlp.detect.places import PlaceFinder
from chatdlp.detect.prefilter import Prefilter
from chatdlp.detect.recognizers import NER_RECOGNIZER, build_recognizer
from chatdlp.detect.rules import RuleRecognizer
from chatdlp.detect.segments import CaseRestorer, ner_view
from chatdlp.entities import Specificity, entity, is_test_value
from chatdlp.entities.disguise import plain_view
from chatdlp.policy import secret_values
from chatdlp.policy.model import PolicySet, Rule
from chatdlp.policy.regex_plan import plan_pattern
from chatdlp.records import Category, Detection, Message, cut_key


def _word_regex(words: Sequence[str]) -> Any:
    alternatives = "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))
    return regex.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags=regex.IGNORECASE)


@dataclass(frozen=True)
class _CompiledRule:
    """A rule with its post-processing compiled once."""

    rule: Rule
    context: Any | None
    near: Any | None
    allow: tuple[Matcher, ...]  # IGNORECASE, on RE2 or within the detector's budget

    @classmethod
    def of(cls, rule: Rule) -> _CompiledRule:
        return cls(
            rule=rule,
            context=_word_regex(rule.context_words) if rule.context_words else None,
            near=_word_regex(rule.near_terms) if rule.near_terms else None,
            allow=tuple(Matcher(a, ignorecase=True, multiline=False) for a in rule.allow),
        )


@dataclass(frozen=True)
class Judgement:
    """One span found by a recognizer and what the policy made of it."""

    rule: Rule
    start: int
    end: int
    raw_score: float
    score: float
    context_word: bool
    reported: bool
    reason: str  # why it is not reported ("" when it is)
    disguised: bool = False  # found in the plain view of a disguised value (entities.disguise)


def _around(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    return text[max(0, start - window) : start], text[end : end + window]


class Detector:
    """Finds the spans a policy set asks for in batches of messages.

    NER runs on :func:`~chatdlp.detect.segments.ner_view` of each text (prose
    only, ALL-CAPS re-cased, same offsets); pattern rules run on the text itself.
    Documentation and test values (555-01xx, example.com, test cards ...) are
    judged but not reported unless ``include_test_values``.
    """

    def __init__(
        self, policies: PolicySet, nlp: Any, profile: NlpProfile, batch_size: int = 64,
        include_test_values: bool = False, edm: Sequence[EdmIndex] = (),
    ):
        self.policies = policies
        self.edm = tuple(edm)  # the organisation's records (``--edm``), looked up in every text
        self.profile = profile
        self.batch_size = batch_size
        self.include_test_values = include_test_values
        self.case_restorer = CaseRestorer.for_pipeline(nlp)
        secret_values.use_dictionary(self.case_restorer.common_words)  # dictionary-word passwords
        self.language = profile.language
        gate = NerGate(rule.entity for rule in policies.rules if rule.uses_ner)
        self.names = NameLexicon.for_pipeline(nlp)
        ner_entities = {rule.entity for rule in policies.rules if rule.uses_ner}
        self.places = (
            PlaceFinder(self.names.is_common, self.names.is_name) if "LOCATION" in ner_entities else None
        )
        finder = NameFinder(self.names, self.places.is_listed if self.places else None) if (
            "PERSON" in ner_entities
        ) else None
        self.nlp_engine = PreloadedSpacyNlpEngine(
            nlp, profile, gate.mask, finder, lambda text: ner_view(text, self.case_restorer), self.places,
        )
        self._rules = {rule.id: _CompiledRule.of(rule) for rule in policies.rules}
        self.budget = Budget.from_environment()  # of the backtracking regex engine
        # Presidio's own recognizers: the same message budget on an account of their own (their
        # time is ordinary work, not backtracking: it must not spend the regex engine's run
        # budget), their cuts counted with the regex timeouts.
        self.recognizer_budget = Budget(message_budget=self.budget.message_budget,
                                        run_budget=float("inf"), timeouts=self.budget.timeouts)
        # (recognizer name, entity) -> rule, for results of shared Presidio recognizers.
        self._by_recognizer: dict[tuple[str, str], str] = {}
        self.bounds: dict[str, RecognizerBounds] = {}  # Presidio's own recognizers, by name
        self._ner_rules = tuple(rule.id for rule in policies.rules if rule.uses_ner)
        recognizers = self._recognizers(policies)
        self.registry = FixedRegistry(recognizers, self.language)
        self.analyzer = AnalyzerEngine(
            registry=self.registry,
            nlp_engine=self.nlp_engine,
            supported_languages=[self.language],
            context_aware_enhancer=WindowContextEnhancer(self.nlp_engine, self.language),
        )
        self.entities = policies.entities
        self._rule_recognizers = [r for r in recognizers if isinstance(r, RuleRecognizer)]

    def _recognizers(self, policies: PolicySet) -> list[Any]:
        recognizers: list[Any] = []
        shared: dict[str, list[Rule]] = {}
        use_prefilter = os.environ.get("CHATDLP_PREFILTER", "1") != "0"
        prefilter = Prefilter(
            keyword for rule in policies.rules for p in rule.patterns
            for keyword in (rule.keywords or plan_pattern(p.regex).keywords)
        )
        for rule in policies.rules:
            if rule.recognizer:
                shared.setdefault(rule.recognizer, []).append(rule)
            else:
                recognizers.append(RuleRecognizer(rule, self.language, self.budget, prefilter, use_prefilter))
        for reference, rules in sorted(shared.items()):
            entities = sorted({rule.entity for rule in rules})
            name = reference.split(":", 1)[-1]
            bounds = None
            if reference.startswith("presidio:") and name != NER_RECOGNIZER:
                # Presidio's own read the text only: in windows, within bounds (NER has its own).
                bounds = self.bounds[name] = RecognizerBounds(
                    self.recognizer_budget, [rule.id for rule in rules], phone=name == "PhoneRecognizer")
            recognizer = build_recognizer(reference, entities, self.language, bounds)
            if hasattr(recognizer, "use_lexicon"):
                recognizer.use_lexicon(self.names)  # the clinical recognizers share the name lists
            for rule in rules:
                self._by_recognizer[(recognizer.name, rule.entity)] = rule.id
            recognizers.append(recognizer)
        return recognizers

    @property
    def regex_timeouts(self) -> dict[str, int]:
        """Per rule id, how many pattern (or allow) runs hit a timeout or the message or run
        budget of the backtracking engine (retried on windows, or skipped); and, under
        :func:`~chatdlp.records.cut_key`, the messages a Presidio recognizer or NER
        read only in part because a bound was reached."""
        return {rule_id: count for rule_id, count in self.budget.timeouts.items() if count}

    # -- analysis -----------------------------------------------------------------

    def _analyze(self, texts: Sequence[str], explain: bool = False) -> list[list[RecognizerResult]]:
        """Presidio results for each text. Pattern rules read each text whole (a value is
        never cut by a chunk boundary); NER reads the runs the gate keeps, a long one in
        overlapping chunks (:meth:`PreloadedSpacyNlpEngine.process_batch`)."""
        cut_before = self.nlp_engine.ner_cuts
        artifacts = self.nlp_engine.process_batch(texts, self.language, batch_size=self.batch_size)
        found: list[list[RecognizerResult]] = []
        for text, (_, nlp_artifacts) in zip(texts, artifacts, strict=True):
            results: dict[tuple[str, int, int, str], RecognizerResult] = {}
            with self.registry.for_text(text):
                analyzed = self.analyzer.analyze(
                    text, self.language, entities=self.entities, nlp_artifacts=nlp_artifacts,
                    return_decision_process=explain,
                )
            for result in analyzed:
                key = (result.entity_type, result.start, result.end, self._rule_id(result) or "")
                if key not in results or results[key].score < result.score:
                    results[key] = result
            _mark_name_evidence(results.values(), getattr(nlp_artifacts, "name_evidence", ()))
            found.append(list(results.values()))
        if self.nlp_engine.ner_cuts > cut_before:
            for rule_id in self._ner_rules:
                self.budget.timeouts[cut_key(rule_id, CUT_NER)] += self.nlp_engine.ner_cuts - cut_before
        return found

    def _rule_id(self, result: RecognizerResult) -> str | None:
        metadata = result.recognition_metadata or {}
        name = metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
        if name in self._rules:
            return str(name)
        return self._by_recognizer.get((name, result.entity_type))

    def judge(
        self, text: str, role: str, results: Sequence[RecognizerResult],
        disguised: Container[tuple[int, int]] = (),
    ) -> list[Judgement]:
        """Apply each result's rule: context boost, allow, near, roles, threshold; then overlaps."""
        judgements = []
        caseless: bool | None = None  # the text's case and kind, judged once
        clinical = care = False  # a clinical note; a text with a clinical marker
        for result in sorted(results, key=lambda r: (r.start, r.end, r.entity_type)):
            rule_id = self._rule_id(result)
            if rule_id is None:
                continue
            if caseless is None:
                caseless, clinical, care = is_caseless(text), is_clinical(text), is_clinical(text, 1)
            judgement = self._judge_one(self._rules[rule_id], text, role, result, caseless, care)
            if (result.start, result.end) in disguised:
                judgement = replace(judgement, disguised=True)
            judgements.append(judgement)
        if judgements and clinical:
            judgements = [self._clinical(text, j) for j in judgements]
        return _resolve_overlaps(judgements)

    def _clinical(self, text: str, judgement: Judgement) -> Judgement:
        """A clinical note's own vetoes (:func:`~chatdlp.detect.clinical.veto`)."""
        if not judgement.reported:
            return judgement
        rule = judgement.rule
        own = (rule.recognizer or "").startswith("chatdlp:Clinical")
        why = veto(text, rule.id, rule.entity, judgement.start, judgement.end, self.names, own)
        return replace(judgement, reported=False, reason=why) if why else judgement

    def _judge_one(
        self, compiled: _CompiledRule, text: str, role: str, result: RecognizerResult,
        caseless: bool = False, care: bool = False,
    ) -> Judgement:
        rule = compiled.rule
        start, end = result.start, result.end
        score = result.score
        # Presidio's own recognizers may already have raised the score for context.
        explanation = result.analysis_explanation
        presidio_boost = explanation.score_context_improvement if explanation is not None else 0.0
        raw_score = score - presidio_boost
        context_word = presidio_boost > 0
        names = self.names.caseless if caseless else self.names
        if rule.uses_ner:
            evidence = bool((result.recognition_metadata or {}).get(NAME_EVIDENCE))
            score = raw_score = ner_score(
                rule.entity, text, start, end, score, self._is_common_word, names, self.places, caseless,
                care, evidence,
            )
        if compiled.context is not None:
            before, after = _around(text, start, end, rule.context_window)
            if compiled.context.search(before) or compiled.context.search(after):
                context_word = True
                score = min(1.0, score + rule.context_boost)
        if rule.entity in NAME_PATTERN_ENTITIES and not rule.recognizer:
            end = start + self._name_prefix(text[start:end], names)
            title = TITLE_BEFORE.search(text, max(0, start - 8), start)
            if end > start and title is not None:
                start = title.start()  # "Dr. Kent Jaworski": the title is masked with the name
        value = text[start:end]
        reason = ""
        if not value:
            reason = "ordinary words, not a name"
        elif any(pattern.search(value, self.budget, rule.id) for pattern in compiled.allow):
            reason = "value is on the rule's allow list"
        elif not self.include_test_values and is_test_value(
            rule.entity, value, *_around(text, start, end, 80)
        ):
            reason = "a documentation or test value (see --include-test-values)"
        elif compiled.near is not None and not any(
            compiled.near.search(part) for part in _around(text, start, end, rule.near_within)
        ):
            reason = f"no 'near' term within {rule.near_within} characters"
        elif not rule.applies_to(role):
            reason = f"rule does not apply to role '{role}'"
        elif score < rule.min_score:
            reason = f"score {score:.2f} is below the rule's min_score {rule.min_score:.2f}"
        return Judgement(rule, start, end, raw_score, score, context_word, not reason, reason)

    def _name_prefix(self, value: str, names: NameLexicon) -> int:
        """The length of the longest run of leading words that could be a name
        ("OKAFOR" of "OKAFOR TODAY"); 0 when the first word is an ordinary word."""
        for match in reversed(list(regex.finditer(r"\S+", value))):
            if names.could_be_name(value[: match.end()]):
                return len(value[: match.end()].rstrip(".,;:"))
        return 0

    def _is_common_word(self, word: str) -> bool:
        restorer = self.case_restorer
        return word not in restorer.names and word in restorer.common_words

    def _analyze_with_disguises(
        self, texts: Sequence[str], explain: bool = False
    ) -> tuple[list[list[RecognizerResult]], list[set[tuple[int, int]]]]:
        """Presidio results for each text, and for texts that hide values (spaced or spelled
        digits, invisible characters, "dot"/"at" e-mails, split keys) the pattern results of
        their plain view, mapped back onto the original characters; with the spans that came
        from a plain view."""
        results = self._analyze(texts, explain=explain)
        disguised: list[set[tuple[int, int]]] = [set() for _ in texts]
        views = [(index, view) for index, text in enumerate(texts) if (view := plain_view(text))]
        if not views:
            return results, disguised
        for (index, view), found in zip(
            views, self._analyze([view.text for _, view in views], explain=explain), strict=True
        ):
            text = texts[index]
            known = results[index]
            for result in found:
                rule_id = self._rule_id(result)
                if rule_id is None or self._rules[rule_id].rule.uses_ner:
                    continue  # names are NER's, read on the text itself
                start, end = view.original_span(result.start, result.end)
                if text[start:end] == view.text[result.start : result.end]:
                    continue  # nothing was disguised here: the text itself had it
                if any(k.entity_type == result.entity_type and k.start < end and start < k.end
                       for k in known):
                    continue
                moved = RecognizerResult(
                    result.entity_type, start, end, result.score, result.analysis_explanation,
                    result.recognition_metadata,
                )
                known.append(moved)
                disguised[index].add((start, end))
        return results, disguised

    def detect(self, messages: Sequence[Message]) -> list[list[Detection]]:
        """Detections for each message, in the order given."""
        all_results, disguised = self._analyze_with_disguises([m.text for m in messages])
        return [
            [_detection(j) for j in self.judge(message.text, message.role, results, hidden)]
            + [d for index in self.edm for d in edm_detections(index, message.text)]
            for message, results, hidden in zip(messages, all_results, disguised, strict=True)
        ]

    def explain(self, text: str, role: str = "user") -> tuple[list[Judgement], list[Rule]]:
        """What every rule made of ``text``: judgements, and the rules that found nothing."""
        [results], [hidden] = self._analyze_with_disguises([text], explain=True)
        judgements = self.judge(text, role, results, hidden)
        fired = {j.rule.id for j in judgements}
        silent = [rule for rule in self.policies.rules if rule.id not in fired]
        return judgements, silent


def _detection(judgement: Judgement) -> Detection:
    rule = judgement.rule
    return Detection(
        rule_id=rule.id,
        entity_type=rule.entity,
        category=rule.category,
        severity=rule.severity,
        score=judgement.score,
        start=judgement.start,
        end=judgement.end,
        policy=rule.policy,
        reported=judgement.reported,
        disguised=judgement.disguised,
    )


def _resolve_overlaps(judgements: list[Judgement]) -> list[Judgement]:
    """Among overlapping reported spans keep the most specific (then most severe, most
    certain, longest): a password inside a URL is a secret before it is an e-mail address.

    The others stay, unreported, so excerpts still mask them. The spans kept are disjoint:
    held by start, a candidate is checked against its neighbours only (n log n, where a long
    message has thousands of spans).
    """
    order = sorted(
        (j for j in judgements if j.reported),
        key=lambda j: (-_specificity(j.rule), -j.rule.severity.rank, -j.score, -(j.end - j.start), j.start),
    )
    starts: list[int] = []
    kept: list[tuple[Judgement, int]] = []  # by start, with the rank it was kept at
    for rank, candidate in enumerate(order):
        at = bisect.bisect_right(starts, candidate.start)
        if any(_overlap(candidate, kept[i][0]) for i in (at - 1, at) if 0 <= i < len(kept)):
            continue
        starts.insert(at, candidate.start)
        kept.insert(at, (candidate, rank))
    winners = {id(k) for k, _ in kept}
    return [
        j if not j.reported or id(j) in winners
        else replace(j, reported=False, reason=f"overlaps a stronger {_winner(j, starts, kept)} finding")
        for j in judgements
    ]


def _overlap(a: Judgement, b: Judgement) -> bool:
    return not (a.end <= b.start or a.start >= b.end)


def _specificity(rule: Rule) -> int:
    """Secrets first, then containing formats, other patterns, loose numbers, NER (the
    entity table's specificity column ranks the patterns)."""
    if rule.category is Category.SECRET:
        return 4
    rank = entity(rule.entity).specificity
    if rank is Specificity.CONTAINING:
        return int(rank)
    if rule.uses_ner:
        return 0
    return int(rank)


def _winner(loser: Judgement, starts: list[int], kept: list[tuple[Judgement, int]]) -> str:
    """The entity of the first kept span (in the order they were kept) that ``loser`` overlaps."""
    low = max(0, bisect.bisect_right(starts, loser.start) - 1)
    high = bisect.bisect_left(starts, loser.end)
    overlapping = [(rank, k) for k, rank in kept[low:high] if _overlap(loser, k)]
    return min(overlapping, key=lambda pair: pair[0])[1].rule.entity if overlapping else "other"


NAME_EVIDENCE = "chatdlp_name_evidence"


def _mark_name_evidence(results: Iterable[RecognizerResult], evidence: Sequence[tuple[int, int]]) -> None:
    """Mark the model's PERSON results that hold a name with two kinds of evidence (a listed
    first name and surname, a strong cue, a list of names: :class:`~chatdlp.detect.names.NameSpan`),
    so their score is not lowered for being one word or lower case (:func:`ner_score`)."""
    if not evidence:
        return
    for result in results:
        if result.entity_type == "PERSON" and any(
            result.start <= start and end <= result.end for start, end in evidence
        ):
            result.recognition_metadata = {**(result.recognition_metadata or {}), NAME_EVIDENCE: True}
