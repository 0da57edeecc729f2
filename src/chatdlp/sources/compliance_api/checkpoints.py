"""Where an incremental compliance:// run resumes: its checkpoint, less an overlap, and
the retention gap when the checkpoint is older than the service keeps conversations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

from chatdlp.sources.compliance_api.settings import SCHEME, ComplianceOptions

# The Compliance API keeps about 30 days; warn well before a checkpoint falls out.
RETENTION_WARN_DAYS = 25


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
                gaps.append(
                    f"{spec}: the checkpoint is {age:.0f} days old; the Compliance API keeps "
                    "about 30 days, so conversations older than that are lost for good. "
                    "Check why the nightly run stopped, and run a sweep now"
                )
            if opts.since is None:
                opts = dataclasses.replace(opts, since=str(checkpoint.resume_since))
        per_source[spec] = opts
    return per_source, gaps

