"""The frozen policy objects the detector is built from."""

from __future__ import annotations

from dataclasses import dataclass

from chatdlp.records import Category, Severity


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
    roles: frozenset[str] | None = None  # None: every author role

    def applies_to(self, role: str) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: int
    description: str
    rules: tuple[Rule, ...]
    origin: str  # the file it was read from
    sha256: str  # of that file's bytes


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The policies of a run, merged: one rule per entity type at most."""

    policies: tuple[Policy, ...]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for policy in self.policies for rule in policy.rules)

    def rule_for(self, entity: str) -> Rule | None:
        for rule in self.rules:
            if rule.entity == entity:
                return rule
        return None

    @property
    def entities(self) -> list[str]:
        return sorted({rule.entity for rule in self.rules})

    @property
    def names(self) -> list[str]:
        return [policy.name for policy in self.policies]
