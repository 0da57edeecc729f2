"""The NLP side of the detector: Presidio's spaCy engine around a pipeline chatdlp has
loaded (NER only where the gate keeps text, names found by evidence joined in), and a
recognizer registry whose answers are worked out once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.tokens import Span
from spacy.util import filter_spans

from chatdlp.detect.bounded import NER_MESSAGE_CHARS
from chatdlp.detect.chunks import split_text
from chatdlp.detect.clinical import is_clinical
from chatdlp.detect.gating import NerGate
from chatdlp.detect.names import (
    NAME_WORD,
    TITLES,
    NameFinder,
    NameLexicon,
    NameSpan,
    is_caseless,
    list_spans,
)
from chatdlp.detect.needs import has_digit, meets
from chatdlp.detect.nlp import NlpProfile
from chatdlp.detect.places import PlaceFinder, PlaceSpan
from chatdlp.detect.recognizers import requirements


class PreloadedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline chatdlp has already loaded.

    Presidio's own ``load()`` would download a missing model; this engine is
    handed its pipeline and never loads anything.
    """

    def __init__(
        self, nlp: Any, profile: NlpProfile, ner_text: Callable[[str], str | None],
        names: NameFinder | None = None, view: Callable[[str], str] | None = None,
        places: PlaceFinder | None = None,
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
        self.max_chunk_chars = profile.max_chunk_chars
        self.chunk_overlap_chars = profile.chunk_overlap_chars
        self.ner_text = ner_text
        # spaCy labels no rule reports: a name found inside one of them is a name.
        self.ignored_labels = frozenset(profile.labels_to_ignore)
        self.names = names
        self.places = places
        self.view = view or (lambda text: text)
        self.ner_characters = 0  # characters the gate sends to NER (read, or found in the cache)
        self.ner_message_chars = NER_MESSAGE_CHARS  # at most this many per message
        self.ner_cuts = 0  # messages whose kept runs were longer: NER read the first ones
        # NER's entities for runs already read (identical sentences recur: greetings,
        # boilerplate, text quoted from an earlier turn), oldest dropped first.
        self._ner_cache: dict[str, tuple[tuple[int, int, str], ...]] = {}

    def load(self) -> None:  # the pipeline is injected
        return None

    def process_batch(  # type: ignore[override]
        self, texts: Iterable[str], language: str, batch_size: int = 64, n_process: int = 1,
        as_tuples: bool = False,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        """NER on what the gate keeps of each text's ``view``; tokens only where NER read.

        NER runs on a same-length view in which what cannot hold a wanted entity (code,
        logs, sentences without a name candidate, runs of more than
        :data:`LONG_RUN` characters without a space) is blanked out, and ALL-CAPS prose
        is re-cased; a kept run longer than the profile's chunk size is read in
        overlapping chunks. Only those runs and the lines of the names found in the view
        are tokenized (:func:`token_view`): context words come from a window of
        characters around each hit (:class:`WindowContextEnhancer`), not from tokens.
        """
        nlp = self.nlp[language]  # type: ignore[index]
        texts = list(texts)
        runs: list[list[tuple[int, str]]] = []
        names: list[Sequence[NameSpan]] = []
        views: list[str] = []
        caseless: list[bool] = []
        places: list[Sequence[PlaceSpan]] = []
        for text in texts:
            # Computed once: it feeds both the NER gate and the name finder.
            view = without_long_runs(self.view(text))
            masked = self.ner_text(view)
            runs.append(self._capped([
                (offset + at, piece)
                for offset, run in (NerGate.segments(masked) if masked is not None else [])
                for at, piece in split_text(run, self.max_chunk_chars, self.chunk_overlap_chars)
            ]))
            caseless.append(is_caseless(text))
            names.append(
                self.names.find(view, masked or "", caseless[-1], is_clinical(text, 1))
                if self.names is not None else ()
            )
            places.append(self.places.find(view, caseless[-1]) if self.places is not None else ())
            views.append(view)
        ner_entities = iter(self._ner_entities(
            nlp, [run for text_runs in runs for _, run in text_runs], batch_size
        ))
        # Tokens where an entity can be placed: NER's runs, the lines of the names and places
        # found, and of the lists whose items may be names (NameFinder.in_lists).
        docs = nlp.tokenizer.pipe(
            token_view(text, text_runs, [
                *((n.start, n.end) for n in text_names), *((p.start, p.end) for p in text_places),
                *(list_spans(view) if self.names is not None else ()),
            ])
            for text, view, text_runs, text_names, text_places
            in zip(texts, views, runs, names, places, strict=True)
        )
        for text_runs, view, text_names, text_places, doc, no_case in zip(
            runs, views, names, places, docs, caseless, strict=True
        ):
            spans = []
            for offset, run in text_runs:
                self.ner_characters += len(run)
                for start, end, label in next(ner_entities):
                    span = doc.char_span(start + offset, end + offset, label=label, alignment_mode="expand")
                    if span is not None:
                        spans.append(span)
            spans = _within_lines(doc, spans)
            evidence: list[NameSpan] = []
            if self.names is not None:
                lexicon = self.names.lexicon.caseless if no_case else self.names.lexicon
                spans = _names_read_as_places(doc, spans, lexicon, self.places)
                spans = _add_names(doc, spans, text_names, self.ignored_labels)
                persons = [(s.start_char, s.end_char) for s in spans if s.label_ == "PERSON"]
                listed = self.names.in_lists(view, persons, no_case)
                spans = _add_names(doc, spans, listed, self.ignored_labels)
                evidence = [n for n in (*text_names, *listed) if n.strong]
            if self.places is not None:
                spans = _add_places(doc, spans, text_places)
            if spans:
                doc.set_ents(filter_spans(_with_titles(doc, _join_split_names(doc, spans))))
            artifacts = self._doc_to_nlp_artifact(doc, language)
            artifacts.name_evidence = [(n.start, n.end) for n in evidence]  # type: ignore[attr-defined]
            yield text, artifacts

    def _capped(self, runs: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """The first runs of a text up to :attr:`ner_message_chars` characters in all (the
        last one cut at a space); counted in :attr:`ner_cuts` when some are left out."""
        kept: list[tuple[int, str]] = []
        left = self.ner_message_chars
        for offset, run in runs:
            if len(run) > left:
                cut = run.rfind(" ", 0, left) if left > 0 else -1
                if cut > 0:
                    kept.append((offset, run[:cut]))
                self.ner_cuts += 1
                break
            kept.append((offset, run))
            left -= len(run)
        return kept

    def _ner_entities(
        self, nlp: Any, runs: Sequence[str], batch_size: int
    ) -> list[tuple[tuple[int, int, str], ...]]:
        """NER's entities (start, end, label) in each run: each distinct run not read before
        goes through ``nlp.pipe`` once, as a document of its own."""
        cache = self._ner_cache
        unread = list(dict.fromkeys(run for run in runs if run not in cache))
        read = dict(zip(unread, (
            tuple((ent.start_char, ent.end_char, ent.label_) for ent in doc.ents)
            for doc in nlp.pipe(unread, batch_size=batch_size)
        ), strict=True))
        found = [cache[run] if run in cache else read[run] for run in runs]
        for run, entities in read.items():
            if len(run) <= NER_CACHE_RUN_CHARS:
                cache[run] = entities
        while len(cache) > NER_CACHE_RUNS:
            del cache[next(iter(cache))]
        return found

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        # Entities only: context words are read around each hit (WindowContextEnhancer),
        # so the tokens of the text (mostly blank here) are not listed.
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities, tokens=doc, tokens_indices=[], lemmas=[], nlp_engine=self,
            language=language, scores=scores,
        )


# NER's answers kept per process: runs of up to this many characters (a few MB at most).
NER_CACHE_RUNS = 10_000
NER_CACHE_RUN_CHARS = 1_000

# Runs of more than this many characters without a space are blanked for spaCy: its
# tokenizer takes time quadratic in a run's length (30 KB of "(" took 73 s), and no
# name, place or date is written that way. Pattern rules still read the text itself.
LONG_RUN = 100
_LONG_RUN = regex.compile(rf"\S{{{LONG_RUN + 1},}}")
_LINE = 200  # characters of a name's line tokenized on either side of it


def without_long_runs(text: str) -> str:
    """``text`` with every run of more than :data:`LONG_RUN` non-space characters blanked
    (same length, same offsets)."""
    if len(text) <= LONG_RUN:
        return text
    blanked: str = _LONG_RUN.sub(lambda m: " " * len(m.group()), text)
    return blanked


def token_view(text: str, runs: Sequence[tuple[int, str]], spans: Sequence[tuple[int, int]]) -> str:
    """What spaCy tokenizes of ``text``: the runs NER reads and the line around each span
    found by other means (names, places, lists of names), the rest blanked (line breaks
    kept), same offsets; "" when there is neither.

    The entities NER finds and the names and places the lexicons find are placed on these
    tokens (titles before a name, line breaks inside one); nothing else needs them.
    """
    if not runs and not spans:
        return ""
    kept = [(offset, offset + len(run)) for offset, run in runs]
    for span_start, span_end in spans:
        line_start = text.rfind("\n", max(0, span_start - _LINE), span_start) + 1
        line_end = text.find("\n", span_end, span_end + _LINE)
        start = max(line_start, span_start - _LINE)
        kept.append((start, line_end if line_end != -1 else min(len(text), span_end + _LINE)))
    kept.sort()
    pieces: list[str] = []
    position = 0
    for start, end in kept:
        start = max(start, position)
        if end <= start:
            continue
        pieces.append(_blank(text[position:start]))
        pieces.append(text[start:end])
        position = end
    pieces.append(_blank(text[position:]))
    return without_long_runs("".join(pieces))


_NOT_NEWLINE = regex.compile(r"[^\n]+")


def _blank(text: str) -> str:
    blanked: str = _NOT_NEWLINE.sub(lambda m: " " * len(m.group()), text) if text else ""
    return blanked


class WindowContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's context words for its own recognizers (the last few words before a hit,
    on lower-cased tokens), read from a window of characters before the hit instead of
    from the tokens of the whole text: only the window is tokenized."""

    LOOKBACK = 200  # characters before a hit (Presidio reads five words back)
    LOOKAHEAD = 64  # the rest of the hit's first word

    def __init__(self, engine: PreloadedSpacyNlpEngine, language: str) -> None:
        super().__init__()
        self._engine = engine
        self._language = language
        self._text = ""
        self._windows: dict[tuple[int, int], NlpArtifacts] = {}  # of this text, by span

    def enhance_using_context(
        self, text: str, raw_results: list[RecognizerResult], nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer], context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        self._text = text
        try:
            return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)
        finally:
            self._text = ""
            self._windows = {}

    def _extract_surrounding_words(
        self, nlp_artifacts: NlpArtifacts, word: str, start: int
    ) -> list[str]:
        text = self._text
        low = max(0, start - self.LOOKBACK)
        if low:  # begin at a word's start
            space = _SPACE.search(text, low, start)
            low = space.end() if space is not None else start
        space = _SPACE.search(text, start, start + self.LOOKAHEAD)
        high = space.start() if space is not None else min(len(text), start + self.LOOKAHEAD)
        window = self._windows.get((low, high))
        if window is None:  # hits of several recognizers on one value share their window
            nlp = self._engine.nlp[self._language]  # type: ignore[index]
            doc = nlp.tokenizer(text[low:high])
            window = self._windows[low, high] = NlpArtifacts(
                entities=[], tokens=doc, tokens_indices=[token.idx + low for token in doc],
                lemmas=[token.lower_ for token in doc], nlp_engine=self._engine,
                language=self._language,
            )
        words: list[str] = super()._extract_surrounding_words(window, word, start)
        return words


_SPACE = regex.compile(r"\s")


class FixedRegistry(RecognizerRegistry):
    """A registry whose recognizers never change after it is built.

    Presidio filters the whole registry for every text analysed; here the
    answer for a (language, entities) request is worked out once, and in a
    stable order (by name) rather than a set's.
    """

    def __init__(self, recognizers: list[Any], language: str) -> None:
        super().__init__(recognizers=recognizers, supported_languages=[language])
        self._answers: dict[tuple[str, tuple[str, ...] | None, bool], list[Any]] = {}
        self._text: str | None = None  # see :meth:`for_text`
        needs = {r.id: requirements(r) for r in recognizers}
        self._needs = {key: need for key, need in needs.items() if need is not None}

    @contextmanager
    def for_text(self, text: str) -> Iterator[None]:
        """While analysing ``text``: leave out the recognizers sure to find nothing in it
        (a rule recognizer whose keywords the prefilter did not find, see
        :meth:`~chatdlp.detect.rules.RuleRecognizer.may_match`; a Presidio pattern
        recognizer in a text without what its patterns need, see
        :func:`~chatdlp.detect.recognizers.requirements`). Presidio loops over every
        recognizer it is given several times per text; one that finds nothing changes
        none of its results."""
        self._text = text
        try:
            yield
        finally:
            self._text = None

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
        answer = self._answers[key]
        text = self._text
        if text is None:
            return answer
        digits = has_digit(text)
        return [
            r for r in answer
            if (r.id not in self._needs or meets(text, self._needs[r.id], digits))
            and (getattr(r, "may_match", None) is None or r.may_match(text))
        ]


_NAME_PART_LABELS = frozenset({"GPE", "LOC", "NORP", "ORG", "FAC"})
_NOT_PLACES = frozenset({"NORP", "ORG"})
_PLACE_LABELS = frozenset({"GPE", "LOC"})
# Names found by a pattern after a cue ("Patient:", "Dr."), checked against the name lexicon.
NAME_PATTERN_ENTITIES = frozenset({"PERSON", "PATIENT_NAME"})


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


def _names_read_as_places(
    doc: Any, spans: list[Any], lexicon: NameLexicon, places: PlaceFinder | None
) -> list[Any]:
    """A place NER read in a person's name is a person: every word of it a listed name
    (given name or surname, no ordinary word: "Why is Rebecca so impulsive?", "Unlike the
    Nielsen novel"), written as a name, no known country or city ("Florence", "Charlotte"
    stay places) and no place word before it ("from Mette" stays a place)."""
    out = []
    for span in spans:
        if span.label_ in _PLACE_LABELS and len(span) <= 3 and _is_listed_name(span, lexicon) and not (
            places is not None and (
                places.is_listed(span.text) or places.after_preposition(doc.text, span.start_char)
            )
        ):
            span = Span(doc, span.start, span.end, label="PERSON")
        out.append(span)
    return out


def _is_listed_name(span: Any, lexicon: NameLexicon) -> bool:
    words = [t.text for t in span if not t.is_punct]
    return bool(words) and all(
        NAME_WORD.fullmatch(word) is not None and lexicon.is_name(word) for word in words
    )


def _add_found(
    doc: Any, spans: list[Any], found: Sequence[Any], label: str,
    replaces: Callable[[Any, Any, list[Any]], bool],
) -> list[Any]:
    """NER's entities with spans found by other means (``found``: items with ``start`` and
    ``end``), labelled ``label``: each is added where NER found nothing, and replaces what NER
    read there when ``replaces(item, span, overlapping)`` says so."""
    out = _SpanIndex(spans)
    for item in found:
        span = doc.char_span(item.start, item.end, label=label, alignment_mode="expand")
        if span is None:
            continue
        overlapping = out.overlapping(span)
        if not overlapping:
            out.add(span)
        elif replaces(item, span, [s for _, s in overlapping]):
            for key, _ in overlapping:
                out.remove(key)
            out.add(span)
    return out.spans()


class _SpanIndex:
    """Spans in the order they were added (the ones removed left out), found by the tokens
    they cover: a look-up reads the spans near one, not all of them (a long message has
    thousands)."""

    WIDTH = 32  # tokens per bucket

    def __init__(self, spans: Iterable[Any]) -> None:
        self._spans: dict[int, Any] = {}
        self._buckets: dict[int, list[int]] = {}
        self._next = 0
        for span in spans:
            self.add(span)

    def _range(self, span: Any) -> range:
        return range(span.start // self.WIDTH, max(span.start, span.end - 1) // self.WIDTH + 1)

    def add(self, span: Any) -> None:
        key, self._next = self._next, self._next + 1
        self._spans[key] = span
        for bucket in self._range(span):
            self._buckets.setdefault(bucket, []).append(key)

    def remove(self, key: int) -> None:
        del self._spans[key]

    def overlapping(self, span: Any) -> list[tuple[int, Any]]:
        keys = {key for bucket in self._range(span) for key in self._buckets.get(bucket, ())}
        return [(key, self._spans[key]) for key in sorted(keys) if key in self._spans
                and self._spans[key].start < span.end and span.start < self._spans[key].end]

    def spans(self) -> list[Any]:
        return list(self._spans.values())


def _add_names(
    doc: Any, spans: list[Any], names: Sequence[NameSpan], ignored: frozenset[str] = frozenset()
) -> list[Any]:
    """NER's entities with the names the lexicon found (:mod:`chatdlp.detect.names`).

    A name found where NER found nothing is added; a name with two kinds of evidence
    (a listed first name and surname, a cue, a list of names) replaces a place or
    organisation NER read there ("Brandon" -> GPE); a longer name replaces a shorter one
    ("Miki C Kristiansen" over "Kristiansen").
    """

    def replaces(name: NameSpan, span: Any, overlapping: list[Any]) -> bool:
        if all(s.label_ in ignored for s in overlapping):
            return True  # "Teresa and Jodi" read as a work of art: no entity chatdlp reports
        longer = all(s.label_ == "PERSON" and len(s) < len(span) for s in overlapping)
        inside = all(s.start >= span.start and _end_without_possessive(s) <= span.end for s in overlapping)
        # A listed first name read as an organisation ("said Einar to Kristy" -> ORG) is a
        # name; one read as a place is left to the model ("Florence", "Georgia").
        labels = _NAME_PART_LABELS if name.strong else _NOT_PLACES
        return longer or (inside and all(s.label_ in labels for s in overlapping))

    return _add_found(doc, spans, names, "PERSON", replaces)


def _end_without_possessive(span: Any) -> int:
    """Where ``span`` ends without a possessive "'s" ("Teresa Walker's" read as an organisation)."""
    if len(span) > 1 and span[-1].lower_ in ("'s", "’s", "'", "’"):
        return int(span.end) - 1
    return int(span.end)


def _add_places(doc: Any, spans: list[Any], places: Sequence[PlaceSpan]) -> list[Any]:
    """NER's entities with the places the gazetteer and place cues found
    (:mod:`chatdlp.detect.places`): added where NER found nothing; a strong place replaces a
    person, organisation or group NER read there ("from Mali" -> PERSON), one that holds it,
    and an organisation that ends with it ("the University of [TOWN]")."""

    def replaces(place: PlaceSpan, span: Any, overlapping: list[Any]) -> bool:
        if not place.strong:
            return False
        inside = all(
            s.label_ in ("PERSON", "ORG", "NORP") and s.start >= span.start and s.end <= span.end
            for s in overlapping
        )
        # An organisation named after the place ("the University of [TOWN]"): the place is
        # what identifies someone; the organisation is reported by no rule.
        named_after = all(s.label_ in ("ORG", "FAC") and s.end == span.end for s in overlapping)
        return inside or named_after

    return _add_found(doc, spans, places, "GPE", replaces)


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


TITLE_BEFORE = regex.compile(r"(?i:\b(?:mr|mrs|ms|mx|dr|prof)\.?[ \t]*)$")
_UNITS = frozenset({"apt", "apartment", "suite", "ste", "unit", "flat"})


def _with_titles(doc: Any, spans: list[Any]) -> list[Any]:
    """A person's title is part of the name it precedes ("Dr. Kent Jaworski"): masked with it."""
    out = []
    for span in spans:
        start = span.start
        if start and doc[start - 1].text == ".":
            start -= 1
        if span.label_ == "PERSON" and start and doc[start - 1].lower_.rstrip(".") in TITLES:
            span = Span(doc, start - 1, span.end, label="PERSON")
        end = span.end
        while span.label_ == "PERSON" and end - 1 > span.start and doc[end - 1].lower_.rstrip(".") in _UNITS:
            end -= 1  # "Mrs. Brittany Voronov Apt. 338": the unit belongs to the address
        if end != span.end:
            span = Span(doc, span.start, end, label="PERSON")
        out.append(span)
    return out
