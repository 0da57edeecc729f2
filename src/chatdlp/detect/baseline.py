"""Vanilla Presidio, for comparison (``chatdlp eval --baseline presidio``).

Presidio as it comes: its default recognizer registry, its default spaCy NER
configuration (``presidio_analyzer/conf/default.yaml``) and its default score
threshold, over the whole English pipeline (``as_it_comes``: every component,
tagger and lemmatizer included). Two changes only, neither of which alters a
result: the pipeline is injected (no download), and the e-mail recognizer
validates domains against tldextract's bundled suffix list instead of
fetching it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

import yaml
from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from chatdlp.detect.nlp import NlpProfile
from chatdlp.detect.recognizers import OfflineEmailRecognizer


class _InjectedSpacyEngine(SpacyNlpEngine):
    def __init__(self, nlp: Any, language: str, model_name: str) -> None:
        conf = yaml.safe_load(
            (resources.files("presidio_analyzer") / "conf" / "default.yaml").read_text(encoding="utf-8")
        )
        super().__init__(
            models=[{"lang_code": language, "model_name": model_name}],
            ner_model_configuration=NerModelConfiguration(**conf["ner_model_configuration"]),
        )
        self.nlp = {language: nlp}  # type: ignore[assignment]

    def load(self) -> None:
        return None


class PresidioBaseline:
    """Presidio's AnalyzerEngine with its defaults; one result list per text."""

    def __init__(self, nlp: Any, language: str = "en", model_name: str = "en_core_web_sm",
                 batch_size: int = 64) -> None:
        self.language = language
        self.batch_size = batch_size
        self.nlp_engine = _InjectedSpacyEngine(nlp, language, model_name)
        self.analyzer = AnalyzerEngine(nlp_engine=self.nlp_engine, supported_languages=[language])
        registry = self.analyzer.registry
        for recognizer in list(registry.recognizers):
            if type(recognizer) is EmailRecognizer:
                name: str = getattr(recognizer, "name")  # noqa: B009 (untyped in Presidio)
                registry.remove_recognizer(name)
                registry.add_recognizer(OfflineEmailRecognizer(supported_language=language))

    @classmethod
    def as_it_comes(cls, profile: NlpProfile) -> PresidioBaseline:
        """On the whole English pipeline, every component as it comes (tagger and
        lemmatizer included, which Presidio's context words use), as a user of
        Presidio would run it; chatdlp's own trimmed pipeline would flatter it less."""
        import spacy

        package = profile.installed_package()
        return cls(spacy.load(package), profile.language, package)

    def analyze(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        artifacts = self.nlp_engine.process_batch(list(texts), self.language, batch_size=self.batch_size)
        return [
            self.analyzer.analyze(text, self.language, nlp_artifacts=processed[1])
            for text, processed in zip(texts, artifacts, strict=True)
        ]
