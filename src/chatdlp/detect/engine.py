"""The detector: a Presidio AnalyzerEngine built once from a policy set and an NLP pipeline.

Messages are analysed in batches: spaCy runs once per batch through
``nlp.pipe`` and Presidio gets the precomputed NLP artifacts. Each Presidio
result is traced to the policy rule that produced it and judged by chatdlp's own
per-rule logic (context window, ``near``, ``allow``, roles, threshold), which
Presidio has no notion of. Every judged span is kept, reported or not, so
excerpts can mask it.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import regex
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.tokens import Span
from spacy.util import filter_spans

from chatdlp.detect.chunks import split_text
from chatdlp.detect.edm import EdmIndex, edm_detections
from chatdlp.detect.gating import NerGate
from chatdlp.detect.names import NameFinder, NameLexicon, NameSpan
from chatdlp.detect.ner_scoring import ner_score
from chatdlp.detect.nlp import NlpProfile
from chatdlp.detect.recognizers import build_recognizer
from chatdlp.detect.rules import RuleRecognizer
from chatdlp.detect.segments import CaseRestorer, ner_view
from chatdlp.entities import Specificity, entity, is_test_value
from chatdlp.entities.disguise import plain_view
from chatdlp.policy.model import PolicySet, Rule
from chatdlp.records import Category, Detection, Message


class PreloadedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline chatdlp has already loaded.

    Presidio's own ``load()`` would download a missing model; this engine is
    handed its pipeline and never loads anything.
    """

    def __init__(
        self, nlp: Any, profile: NlpProfile, ner_text: Callable[[str], str | None],
        names: NameFinder | None = None, view: Callable[[str], str] | None = None,
    ) -> None:
        """``view`` is what NER sees of a text (same length); ``ner_text`` masks a view for
        the NER gate (None: nothing for NER); ``names`` finds names in a view."""
        super().__init__(
            models=[{"lang_code": profile.language, "model_name": profile.name}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=profile.entity_mapping,
                labels_to_ignore=list(profile.labels_to_ignore),
                low_score_entity_names=[],
            ),
        )
        self.nlp = {profile.language: nlp}  # type: ignore[assignment]
        self._lemmatizes = "lemmatizer" in nlp.pipe_names
        self.ner_text = ner_text
        self.names = names
        self.view = view or (lambda text: text)
        self.ner_characters = 0  # characters actually sent through NER

    def load(self) -> None:  # the pipeline is injected
        return None

    def process_batch(  # type: ignore[override]
        self, texts: Iterable[str], language: str, batch_size: int = 64, n_process: int = 1,
        as_tuples: bool = False,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        """Tokens for the whole of every text; NER only on its ``view``, gated by ``ner_text``.

        Each text is tokenized in full (context words need every token). NER runs
        on a same-length view in which what cannot hold a wanted entity (code,
        logs, sentences without a name candidate) is blanked out, and ALL-CAPS
        prose is re-cased; its entities are carried back onto the full tokens.
        """
        nlp = self.nlp[language]  # type: ignore[index]
        texts = list(texts)
        runs = []
        names: list[Sequence[NameSpan]] = []
        views: list[str] = []
        for text in texts:
            view = self.view(text)  # computed once: it feeds both the NER gate and the name finder
            masked = self.ner_text(view)
            runs.append(NerGate.segments(masked) if masked is not None else [])
            names.append(self.names.find(view, masked or "") if self.names is not None else ())
            views.append(view)
        ner_docs = nlp.pipe([run for text_runs in runs for _, run in text_runs], batch_size=batch_size)
        docs = nlp.tokenizer.pipe(texts)
        for text_runs, view, text_names, doc in zip(runs, views, names, docs, strict=True):
            spans = []
            for offset, run in text_runs:
                self.ner_characters += len(run)
                for ent in next(ner_docs).ents:
                    span = doc.char_span(
                        ent.start_char + offset, ent.end_char + offset, label=ent.label_,
                        alignment_mode="expand",
                    )
                    if span is not None:
                        spans.append(span)
            spans = _within_lines(doc, spans)
            if self.names is not None:
                spans = _add_names(doc, spans, text_names)
                persons = [(s.start_char, s.end_char) for s in spans if s.label_ == "PERSON"]
                spans = _add_names(doc, spans, self.names.in_lists(view, persons))
            if spans:
                doc.set_ents(filter_spans(_with_titles(doc, _join_split_names(doc, spans))))
            yield text, self._doc_to_nlp_artifact(doc, language)

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        if self._lemmatizes:
            return super()._doc_to_nlp_artifact(doc, language)
        # Without tagger and lemmatizer (a fifth of spaCy's time), context words are
        # matched on the lower-cased token: "SSN", "card", "passport" alike.
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=scores,
        )


class _FixedRegistry(RecognizerRegistry):
    """A registry whose recognizers never change after it is built.

    Presidio filters the whole registry for every text analysed; here the
    answer for a (language, entities) request is worked out once, and in a
    stable order (by name) rather than a set's.
    """

    def __init__(self, recognizers: list[Any], language: str) -> None:
        super().__init__(recognizers=recognizers, supported_languages=[language])
        self._answers: dict[tuple[str, tuple[str, ...] | None, bool], list[Any]] = {}

    def get_recognizers(
        self, language: str, entities: list[str] | None = None, all_fields: bool = False,
        ad_hoc_recognizers: list[Any] | None = None,
    ) -> list[Any]:
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        key = (language, tuple(entities) if entities is not None else None, all_fields)
        if key not in self._answers:
            found = super().get_recognizers(language, entities, all_fields)
            self._answers[key] = sorted(found, key=lambda r: (r.name, r.id))
        return self._answers[key]


_NAME_PART_LABELS = frozenset({"GPE", "LOC", "NORP", "ORG", "FAC"})
_NOT_PLACES = frozenset({"NORP", "ORG"})
# Names found by a pattern after a cue ("Patient:", "Dr."), checked against the name lexicon.
_NAME_PATTERN_ENTITIES = frozenset({"PERSON", "PATIENT_NAME"})


def _within_lines(doc: Any, spans: list[Any]) -> list[Any]:
    """Entities cut at the first line break: the model runs a name into the next line of a
    letter head ("Oline Mikaelsen\n>Roadify"), which no name or place does."""
    out = []
    for span in spans:
        cut = next((t.i for t in span[:-1] if "\n" in t.whitespace_ or "\n" in t.text), None)
        if cut is not None:
            if "\n" in doc[cut].text:
                cut -= 1
            if cut < span.start:
                continue
            span = Span(doc, span.start, cut + 1, label=span.label_)
        out.append(span)
    return out


def _add_names(doc: Any, spans: list[Any], names: Sequence[NameSpan]) -> list[Any]:
    """NER's entities with the names the lexicon found (:mod:`chatdlp.detect.names`).

    A name found where NER found nothing is added; a name with two kinds of evidence
    (a listed first name and surname, a cue, a list of names) replaces a place or
    organisation NER read there ("Brandon" -> GPE); a longer name replaces a shorter one
    ("Miki C Kristiansen" over "Kristiansen").
    """
    if not names:
        return spans
    out = list(spans)
    for name in names:
        span = doc.char_span(name.start, name.end, label="PERSON", alignment_mode="expand")
        if span is None:
            continue
        overlapping = [s for s in out if s.start < span.end and span.start < s.end]
        if not overlapping:
            out.append(span)
            continue
        longer = all(s.label_ == "PERSON" and len(s) < len(span) for s in overlapping)
        inside = all(s.start >= span.start and s.end <= span.end for s in overlapping)
        # A listed first name read as an organisation ("said Einar to Kristy" -> ORG) is a
        # name; one read as a place is left to the model ("Florence", "Georgia").
        labels = _NAME_PART_LABELS if name.strong else _NOT_PLACES
        if longer or (inside and all(s.label_ in labels for s in overlapping)):
            out = [s for s in out if not any(s is o for o in overlapping)] + [span]
    return out


def _join_split_names(doc: Any, spans: list[Any]) -> list[Any]:
    """Join a one-word place or organisation and a person right next to it into one person.

    The small English model often reads a first name as a place ("Amara" -> GPE,
    "Solberg" -> PERSON); "Amara Solberg" is a person's name, and reporting half
    of it as a location both misses the name and adds a false alarm.
    """
    ordered = sorted(spans, key=lambda span: span.start)
    joined: list[Any] = []
    for span in ordered:
        if joined:
            previous = joined[-1]
            pair = {previous.label_, span.label_}
            adjacent = span.start == previous.end and doc[previous.end - 1].whitespace_ == " "
            one_word = (previous.label_ == "PERSON" and len(span) == 1) or (
                span.label_ == "PERSON" and len(previous) == 1
            )
            if adjacent and one_word and "PERSON" in pair and pair & _NAME_PART_LABELS:
                joined[-1] = Span(doc, previous.start, span.end, label="PERSON")
                continue
        joined.append(span)
    return joined


_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "sir", "madam", "miss"})
_TITLE_BEFORE = regex.compile(r"(?i:\b(?:mr|mrs|ms|mx|dr|prof)\.?[ \t]*)$")
_UNITS = frozenset({"apt", "apartment", "suite", "ste", "unit", "flat"})


def _with_titles(doc: Any, spans: list[Any]) -> list[Any]:
    """A person's title is part of the name it precedes ("Dr. Kent Jaworski"): masked with it."""
    out = []
    for span in spans:
        start = span.start
        if start and doc[start - 1].text == ".":
            start -= 1
        if span.label_ == "PERSON" and start and doc[start - 1].lower_.rstrip(".") in _TITLES:
            span = Span(doc, start - 1, span.end, label="PERSON")
        end = span.end
        while span.label_ == "PERSON" and end - 1 > span.start and doc[end - 1].lower_.rstrip(".") in _UNITS:
            end -= 1  # "Mrs. Brittany Voronov Apt. 338": the unit belongs to the address
        if end != span.end:
            span = Span(doc, span.start, end, label="PERSON")
        out.append(span)
    return out


def _word_regex(words: Sequence[str]) -> Any:
    alternatives = "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))
    return regex.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags=regex.IGNORECASE)


@dataclass(frozen=True)
class _CompiledRule:
    """A rule with its post-processing compiled once."""

    rule: Rule
    context: Any | None
    near: Any | None
    allow: tuple[Any, ...]

    @classmethod
    def of(cls, rule: Rule) -> _CompiledRule:
        return cls(
            rule=rule,
            context=_word_regex(rule.context_words) if rule.context_words else None,
            near=_word_regex(rule.near_terms) if rule.near_terms else None,
            allow=tuple(regex.compile(a, flags=regex.IGNORECASE) for a in rule.allow),
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
        self.language = profile.language
        gate = NerGate(rule.entity for rule in policies.rules if rule.uses_ner)
        self.names = NameLexicon.for_pipeline(nlp)
        ner_entities = {rule.entity for rule in policies.rules if rule.uses_ner}
        finder = NameFinder(self.names) if "PERSON" in ner_entities else None
        self.nlp_engine = PreloadedSpacyNlpEngine(
            nlp, profile, gate.mask, finder, lambda text: ner_view(text, self.case_restorer),
        )
        self._rules = {rule.id: _CompiledRule.of(rule) for rule in policies.rules}
        # (recognizer name, entity) -> rule, for results of shared Presidio recognizers.
        self._by_recognizer: dict[tuple[str, str], str] = {}
        recognizers = self._recognizers(policies)
        self.analyzer = AnalyzerEngine(
            registry=_FixedRegistry(recognizers, self.language),
            nlp_engine=self.nlp_engine,
            supported_languages=[self.language],
        )
        self.entities = policies.entities
        self._rule_recognizers = [r for r in recognizers if isinstance(r, RuleRecognizer)]

    def _recognizers(self, policies: PolicySet) -> list[Any]:
        recognizers: list[Any] = []
        shared: dict[str, list[Rule]] = {}
        for rule in policies.rules:
            if rule.recognizer:
                shared.setdefault(rule.recognizer, []).append(rule)
            else:
                recognizers.append(RuleRecognizer(rule, self.language))
        for reference, rules in sorted(shared.items()):
            entities = sorted({rule.entity for rule in rules})
            recognizer = build_recognizer(reference, entities, self.language)
            for rule in rules:
                self._by_recognizer[(recognizer.name, rule.entity)] = rule.id
            recognizers.append(recognizer)
        return recognizers

    @property
    def regex_timeouts(self) -> dict[str, int]:
        """Per rule id, how many times one of its patterns hit the regex timeout (and was skipped)."""
        return {r.rule.id: r.timeouts for r in self._rule_recognizers if r.timeouts}

    # -- analysis -----------------------------------------------------------------

    def _analyze(self, texts: Sequence[str], explain: bool = False) -> list[list[RecognizerResult]]:
        """Presidio results for each text (long texts split with overlap, offsets restored)."""
        pieces: list[tuple[int, int, str]] = []
        for index, text in enumerate(texts):
            for offset, chunk in split_text(
                text, self.profile.max_chunk_chars, self.profile.chunk_overlap_chars
            ):
                pieces.append((index, offset, chunk))
        found: list[dict[tuple[str, int, int, str], RecognizerResult]] = [{} for _ in texts]
        artifacts = self.nlp_engine.process_batch(
            [chunk for _, _, chunk in pieces], self.language, batch_size=self.batch_size
        )
        for (index, offset, chunk), processed in zip(pieces, artifacts, strict=True):
            nlp_artifacts = processed[1]
            for result in self.analyzer.analyze(
                chunk, self.language, entities=self.entities, nlp_artifacts=nlp_artifacts,
                return_decision_process=explain,
            ):
                result.start += offset
                result.end += offset
                key = (result.entity_type, result.start, result.end, self._rule_id(result) or "")
                if key not in found[index] or found[index][key].score < result.score:
                    found[index][key] = result
        return [list(results.values()) for results in found]

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
        for result in sorted(results, key=lambda r: (r.start, r.end, r.entity_type)):
            rule_id = self._rule_id(result)
            if rule_id is None:
                continue
            judgement = self._judge_one(self._rules[rule_id], text, role, result)
            if (result.start, result.end) in disguised:
                judgement = replace(judgement, disguised=True)
            judgements.append(judgement)
        return _resolve_overlaps(judgements)

    def _judge_one(
        self, compiled: _CompiledRule, text: str, role: str, result: RecognizerResult
    ) -> Judgement:
        rule = compiled.rule
        start, end = result.start, result.end
        score = result.score
        # Presidio's own recognizers may already have raised the score for context.
        explanation = result.analysis_explanation
        presidio_boost = explanation.score_context_improvement if explanation is not None else 0.0
        raw_score = score - presidio_boost
        context_word = presidio_boost > 0
        if rule.uses_ner:
            score = raw_score = ner_score(
                rule.entity, text, start, end, score, self._is_common_word, self.names
            )
        if compiled.context is not None:
            before, after = _around(text, start, end, rule.context_window)
            if compiled.context.search(before) or compiled.context.search(after):
                context_word = True
                score = min(1.0, score + rule.context_boost)
        if rule.entity in _NAME_PATTERN_ENTITIES and not rule.uses_ner:
            end = start + self._name_prefix(text[start:end])
            title = _TITLE_BEFORE.search(text, max(0, start - 8), start)
            if end > start and title is not None:
                start = title.start()  # "Dr. Kent Jaworski": the title is masked with the name
        value = text[start:end]
        reason = ""
        if not value:
            reason = "ordinary words, not a name"
        elif any(pattern.search(value) for pattern in compiled.allow):
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

    def _name_prefix(self, value: str) -> int:
        """The length of the longest run of leading words that could be a name
        ("OKAFOR" of "OKAFOR TODAY"); 0 when the first word is an ordinary word."""
        for match in reversed(list(regex.finditer(r"\S+", value))):
            if self.names.could_be_name(value[: match.end()]):
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

    The others stay, unreported, so excerpts still mask them.
    """
    order = sorted(
        (j for j in judgements if j.reported),
        key=lambda j: (-_specificity(j.rule), -j.rule.severity.rank, -j.score, -(j.end - j.start), j.start),
    )
    kept: list[Judgement] = []
    for candidate in order:
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return [
        j if not j.reported or any(j is k for k in kept)
        else replace(j, reported=False, reason=f"overlaps a stronger {_winner(j, kept)} finding")
        for j in judgements
    ]


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


def _winner(loser: Judgement, kept: list[Judgement]) -> str:
    for k in kept:
        if not (loser.end <= k.start or loser.start >= k.end):
            return k.rule.entity
    return "other"
