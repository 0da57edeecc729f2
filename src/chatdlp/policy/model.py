"""The frozen policy objects the detector is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatdlp.records import Category, Severity


@dataclass(frozen=True, slots=True)
class PatternDef:
    name: str
    regex: str
    score: float


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    entity: str
    category: Category
    severity: Severity
    min_score: float
    policy: str
    description: str = ""
    # "presidio:ClassName": a predefined Presidio recognizer this rule reuses.
    recognizer: str | None = None
    patterns: tuple[PatternDef, ...] = ()
    validators: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()
    context_window: int = 40
    context_boost: float = 0.35
    terms: tuple[str, ...] = ()
    near_terms: tuple[str, ...] = ()
    near_within: int = 0
    allow: tuple[str, ...] = ()
    # Literals (any case) one of which every match of the rule's patterns contains: the
    # prefilter runs its patterns only on texts that have one. () derives them per pattern.
    keywords: tuple[str, ...] = ()
    roles: frozenset[str] | None = None  # None: every author role
    # A value the assistant brought into the conversation first (a made-up example) is
    # reported one severity lower ("lower"), or as any other ("same").
    assistant_introduced: str = "lower"
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = field(default=())

    def applies_to(self, role: str) -> bool:
        return self.roles is None or role in self.roles

    @property
    def uses_ner(self) -> bool:
        return self.recognizer == "presidio:SpacyRecognizer"


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: int
    description: str
    rules: tuple[Rule, ...]
    origin: str  # the file it was read from
    sha256: str  # of that file's bytes and of every terms file it reads


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The policies of a run."""

    policies: tuple[Policy, ...]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for policy in self.policies for rule in policy.rules)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def entities(self) -> list[str]:
        return sorted({rule.entity for rule in self.rules})

    @property
    def names(self) -> list[str]:
        return [policy.name for policy in self.policies]
