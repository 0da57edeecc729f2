"""Where an incremental compliance:// run resumes: its checkpoint, less an overlap, and
the retention gap when the checkpoint is older than the service keeps conversations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

from chatdlp.sources.compliance_api.retention import WARN_DAYS, retention_gap
from chatdlp.sources.compliance_api.settings import SCHEME, ComplianceOptions

RETENTION_WARN_DAYS = WARN_DAYS


class Checkpoint(Protocol):
    """A source's stored progress (``chatdlp.state``'s checkpoints)."""

    @property
    def resume_since(self) -> int: ...

    def age_days(self, now: float) -> float: ...


def resume_options(
    sources: Sequence[str],
    options: ComplianceOptions,
    checkpoint_of: Callable[[str], Checkpoint | None],
    now: float,
) -> tuple[dict[str, ComplianceOptions], list[str]]:
    """Per compliance:// source: its options (resuming from the checkpoint unless
    --since was given) and the retention gaps found."""
    per_source: dict[str, ComplianceOptions] = {}
    gaps: list[str] = []
    for spec in sources:
        if not spec.startswith(SCHEME):
            continue
        opts = options
        checkpoint = checkpoint_of(spec.rstrip("/"))
        if checkpoint is not None:
            age = checkpoint.age_days(now)
            if age > RETENTION_WARN_DAYS:
                gaps.append(retention_gap(spec, age, opts.api))
            if opts.since is None:
                opts = dataclasses.replace(opts, since=str(checkpoint.resume_since))
        per_source[spec] = opts
    return per_source, gaps

