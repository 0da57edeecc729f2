"""Where an incremental compliance:// run resumes: its checkpoint, less an overlap, and
the retention gap when the checkpoint is older than the service keeps conversations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

from chatdlp.sources.compliance_api.retention import WARN_DAYS, retention_gap
from chatdlp.sources.compliance_api.settings import SCHEME, ComplianceOptions
from chatdlp.timefmt import iso_time

RETENTION_WARN_DAYS = WARN_DAYS


class Checkpoint(Protocol):
    """A source's stored progress (``chatdlp.state``'s checkpoints)."""

    @property
    def resume_since(self) -> int: ...

    def age_days(self, now: float) -> float: ...


def checkpoint_key(spec: str, options: ComplianceOptions) -> str:
    """Where a source's checkpoint is kept: the source and the filters that change what it
    reads (a pilot run for two users must not move everyone's checkpoint). Without filters,
    the source itself, as before."""
    from chatdlp.sources.compliance_api.logs_settings import parse_event_types
    from chatdlp.sources.compliance_api.objects import parse_include

    filters = []
    if options.users:
        filters.append("users=" + ",".join(sorted({u.strip() for u in options.users if u.strip()})))
    if options.api != "logs":
        filters.append(f"api={options.api}")
    event_types = parse_event_types(options.event_types)
    if event_types != parse_event_types(None):
        filters.append("event_types=" + ",".join(sorted(event_types)))
    if "files" in parse_include(options.include):  # uploads are read along the chats
        filters.append("include=files")
    base = spec.rstrip("/")
    return f"{base}?{'&'.join(filters)}" if filters else base


def resume_options(
    sources: Sequence[str],
    options: ComplianceOptions,
    checkpoint_of: Callable[[str], Checkpoint | None],
    now: float,
) -> tuple[dict[str, ComplianceOptions], list[str], list[str]]:
    """Per compliance:// source: its options (resuming from the checkpoint unless
    --since was given), the retention gaps found, and what each resumed from."""
    per_source: dict[str, ComplianceOptions] = {}
    gaps: list[str] = []
    resumed: list[str] = []
    for spec in sources:
        if not spec.startswith(SCHEME):
            continue
        key = checkpoint_key(spec, options)
        opts = dataclasses.replace(options, checkpoint_key=key)
        checkpoint = checkpoint_of(key)
        if checkpoint is not None:
            age = checkpoint.age_days(now)
            if age > RETENTION_WARN_DAYS:
                gaps.append(retention_gap(spec, age, opts.api))
            if opts.since is None:
                opts = dataclasses.replace(opts, since=str(checkpoint.resume_since))
                resumed.append(f"{key} from {iso_time(checkpoint.resume_since)} "
                               "(its checkpoint, less the overlap)")
        per_source[spec] = opts
    return per_source, gaps, resumed
