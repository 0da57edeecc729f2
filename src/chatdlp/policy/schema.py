"""The policy file schema (pydantic), strict: unknown keys are errors.

Regexes are compiled here (with the ``regex`` module the detector uses) and
refused when invalid or prone to catastrophic backtracking, unless the validation
context says these very bytes passed those checks before (``REGEXES_CHECKED``: ``scan``
with its check cache, :mod:`chatdlp.policy.check_cache`); validator and recognizer
names are checked against their registries.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib.util
from pathlib import Path
from typing import Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from chatdlp.policy.validators import VALIDATORS
from chatdlp.records import Category, Severity

_RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)+$"
Role = Literal["user", "assistant", "system", "tool", "title"]


# chatdlp's own recognizers a rule may name (``chatdlp:ClassName``): the classes are
# ``chatdlp.detect.recognizers.CHATDLP_RECOGNIZERS`` (policy sits below detect, so the
# names are listed here; a test keeps the two in step).
CHATDLP_RECOGNIZER_NAMES = ("PostalAddressRecognizer", "ClinicalNameRecognizer", "ClinicalFacilityRecognizer")


@functools.lru_cache(maxsize=1)
def presidio_recognizer_names() -> frozenset[str]:
    """The recognizers Presidio exports, read from its ``__all__`` without importing it:
    importing Presidio loads spaCy (a second), and validating a policy needs neither."""
    spec = importlib.util.find_spec("presidio_analyzer")  # a top-level spec: nothing is imported
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    init = Path(next(iter(spec.submodule_search_locations))) / "predefined_recognizers" / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets
        ):
            value = ast.literal_eval(statement.value)
            return frozenset(n for n in value if isinstance(n, str) and n.endswith("Recognizer"))
    return frozenset()


# Validation context key: these bytes passed the regex checks before (``check_cache``).
REGEXES_CHECKED = "regexes_checked"


def _regexes_checked(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get(REGEXES_CHECKED) is True


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def check_regex(pattern: str, allow: bool = False) -> str:
    """Refuse a pattern that does not compile, or that may run on the backtracking engine
    (see ``regex_plan``) and has a catastrophic shape (``regex_safety``). Patterns RE2 runs
    on every text are linear whatever their shape."""
    # (imported here: a scan whose policy files passed before does not check again)
    from chatdlp.policy.regex_plan import plan_pattern
    from chatdlp.policy.regex_safety import catastrophic

    try:
        regex.compile(pattern, flags=regex.VERSION0)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    plan = plan_pattern(pattern, ignorecase=allow, multiline=not allow)
    if plan.on_re2 and not plan.ascii_boundaries:
        return pattern
    try:
        reason = catastrophic(pattern, flags=regex.IGNORECASE if allow else regex.MULTILINE)
    except ValueError:
        return pattern  # regex-module-only syntax: `policy validate` warns it is unchecked
    if reason:
        engine = ("it runs on the backtracking engine (" + plan.reason + ")" if not plan.on_re2
                  else "it uses \\b, so texts with non-ASCII letters run it on the backtracking engine")
        raise ValueError(
            f"regular expression can backtrack catastrophically: {reason}; {engine}; "
            "rewrite it so the repeats cannot take the same text in more than one way"
        )
    return pattern


def check_allow(values: list[str]) -> list[str]:
    for value in values:
        try:
            check_regex(value, allow=True)
        except ValueError as exc:
            raise ValueError(f"allow entry {value!r}: {exc}") from None
    return values


class PatternSpec(_Strict):
    name: str = Field(min_length=1)
    regex: str = Field(min_length=1)
    score: float = Field(ge=0.0, le=1.0)

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str, info: ValidationInfo) -> str:
        return value if _regexes_checked(info) else check_regex(value)


class ContextSpec(_Strict):
    words: list[str] = Field(min_length=1)
    window: int = Field(default=40, ge=1, le=2000, description="characters either side")
    boost: float = Field(default=0.35, ge=0.0, le=1.0)


class NearSpec(_Strict):
    terms: list[str] = Field(min_length=1)
    within: int = Field(ge=1, le=10000, description="characters either side")


class ExamplesSpec(_Strict):
    match: list[str] = Field(default_factory=list)
    no_match: list[str] = Field(default_factory=list)


class RuleSpec(_Strict):
    id: str = Field(pattern=_RULE_ID)
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    category: Category
    severity: Severity
    description: str = ""
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    recognizer: str | None = Field(default=None, pattern=r"^(?:presidio|chatdlp):[A-Za-z0-9_]+$")
    patterns: list[PatternSpec] = Field(default_factory=list)
    context: ContextSpec | None = None
    validators: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    terms_file: str | None = None
    near: NearSpec | None = None
    allow: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="literals every match contains")
    roles: list[Role] | None = Field(default=None, min_length=1)
    assistant_introduced: Literal["lower", "same"] = Field(
        default="lower", description="severity of values the assistant introduced first",
    )
    examples: ExamplesSpec = Field(default_factory=ExamplesSpec)

    @field_validator("validators")
    @classmethod
    def _known_validators(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in VALIDATORS:
                close = difflib.get_close_matches(name, list(VALIDATORS), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                known = ", ".join(sorted(VALIDATORS))
                raise ValueError(f"unknown validator '{name}'{hint} (known: {known})")
        return names

    @field_validator("recognizer")
    @classmethod
    def _known_recognizer(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith("chatdlp:"):
            if value.removeprefix("chatdlp:") not in CHATDLP_RECOGNIZER_NAMES:
                known = ", ".join(CHATDLP_RECOGNIZER_NAMES)
                raise ValueError(f"unknown chatdlp recognizer '{value}' (known: {known})")
            return value
        name = value.removeprefix("presidio:")
        names = presidio_recognizer_names()
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = f"; did you mean 'presidio:{close[0]}'?" if close else ""
            raise ValueError(f"unknown Presidio recognizer '{name}'{hint}")
        return value

    @field_validator("allow")
    @classmethod
    def _allow_compiles(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return values if _regexes_checked(info) else check_allow(values)

    @field_validator("keywords")
    @classmethod
    def _keywords_not_blank(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("keywords must not be empty strings")
        return values

    @field_validator("terms")
    @classmethod
    def _terms_not_blank(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("terms must not be empty strings")
        return values

    @model_validator(mode="after")
    def _one_way_to_detect(self) -> RuleSpec:
        ways = [bool(self.recognizer), bool(self.patterns), bool(self.terms or self.terms_file)]
        if not any(ways):
            raise ValueError("a rule needs 'patterns', 'terms'/'terms_file' or 'recognizer'")
        if self.recognizer and (self.patterns or self.terms or self.terms_file):
            raise ValueError("'recognizer' cannot be combined with 'patterns' or 'terms'")
        if self.keywords and not self.patterns:
            raise ValueError("'keywords' gate pattern matches: add 'patterns'")
        if self.validators and not self.patterns:
            raise ValueError("'validators' check pattern matches: add 'patterns'")
        return self


class OverrideSpec(_Strict):
    """A change to a rule another pack defines (a shipped one, usually)."""

    enabled: bool = True
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    severity: Severity | None = None
    allow: list[str] | None = None

    @field_validator("allow")
    @classmethod
    def _allow_compiles(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return check_allow(values) if values is not None and not _regexes_checked(info) else values


class PolicySpec(_Strict):
    version: Literal[1]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    extends: list[str] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
    # rule id -> what changes: disable a rule, or change its min_score, severity, allow list
    overrides: dict[str, OverrideSpec] = Field(default_factory=dict)
