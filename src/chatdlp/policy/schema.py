"""The policy file schema (pydantic), strict: unknown keys are errors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chatdlp.records import Category, Severity

_RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)+$"
_ROLES = ("user", "assistant", "system", "tool", "title")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RuleSpec(_Strict):
    id: str = Field(pattern=_RULE_ID)
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    category: Category
    severity: Severity
    description: str = ""
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    recognizer: str | None = Field(default=None, pattern=r"^presidio:[A-Za-z0-9_]+$")
    roles: list[Literal["user", "assistant", "system", "tool", "title"]] | None = None

    @field_validator("roles")
    @classmethod
    def _roles_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError(f"give at least one of {', '.join(_ROLES)}, or leave roles out")
        return value


class PolicySpec(_Strict):
    version: Literal[1]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    extends: list[str] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
