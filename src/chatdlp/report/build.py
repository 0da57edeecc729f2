"""Building the report model after a scan: one streaming pass over ``findings.jsonl``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import chatdlp
from chatdlp.policy.model import PolicySet
from chatdlp.records import Diagnostics, Finding, Severity
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.jsonl import FILE_NAME as FINDINGS_FILE
from chatdlp.report.model import (
    Facets,
    FindingsFile,
    Incident,
    PolicyInfo,
    ReportModel,
    ReportOptions,
    RuleInfo,
    RunInfo,
)
from chatdlp.timefmt import utc_now_iso

if TYPE_CHECKING:
    from chatdlp.records import ScanStats


def run_info(
    stats: ScanStats,
    diagnostics: Diagnostics,
    policies: PolicySet,
    window: tuple[str | None, str | None],
) -> RunInfo:
    def ordered(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    severity_counts = tuple(
        (s.value, stats.by_severity[s.value]) for s in reversed(Severity)
        if stats.by_severity.get(s.value)
    )
    return RunInfo(
        tool="chatdlp",
        version=chatdlp.__version__,
        generated_at=utc_now_iso(),
        sources=tuple(stats.sources),
        policies=tuple(
            PolicyInfo(p.name, p.version, p.origin, p.sha256) for p in policies.policies
        ),
        rules=tuple(
            RuleInfo(r.id, r.entity, r.category.value, r.severity, r.description, r.policy)
            for r in policies.rules
        ),
        window_start=window[0],
        window_end=window[1],
        conversations=stats.conversations,
        messages=stats.messages,
        characters=stats.characters,
        findings=stats.findings,
        by_severity=severity_counts,
        by_category=ordered(dict(stats.by_category)),
        by_entity=ordered(dict(stats.by_entity)),
        skipped_records=diagnostics.skipped_total,
        error=stats.error or (f"{diagnostics.failures} source(s) could not be read"
                              if diagnostics.failures else None),
    )


@dataclass(slots=True)
class _Seen:
    entity_type: str
    category: str
    max_severity: Severity
    first_seen: str | None = None
    last_seen: str | None = None
    conversations: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    count: int = 0


def index_findings(findings: Iterable[Finding]) -> tuple[tuple[Incident, ...], Facets]:
    """Incidents (a fingerprint in 2+ conversations or for 2+ users) and filter facets."""
    seen: dict[str, _Seen] = {}
    severities: set[str] = set()
    categories: set[str] = set()
    entities: set[str] = set()
    users: set[str] = set()
    for finding in findings:
        severities.add(finding.severity.value)
        categories.add(finding.category.value)
        entities.add(finding.entity_type)
        if finding.user_id:
            users.add(finding.user_id)
        entry = seen.get(finding.fingerprint)
        if entry is None:
            entry = seen[finding.fingerprint] = _Seen(
                finding.entity_type, finding.category.value, finding.severity
            )
        entry.count += 1
        entry.conversations.add(finding.conversation_id)
        if finding.user_id:
            entry.users.add(finding.user_id)
        if finding.severity.rank > entry.max_severity.rank:
            entry.max_severity = finding.severity
        if finding.created_at:
            if entry.first_seen is None or finding.created_at < entry.first_seen:
                entry.first_seen = finding.created_at
            if entry.last_seen is None or finding.created_at > entry.last_seen:
                entry.last_seen = finding.created_at
    incidents = [
        Incident(
            fingerprint=fingerprint,
            entity_type=e.entity_type,
            category=e.category,
            max_severity=e.max_severity,
            first_seen=e.first_seen,
            last_seen=e.last_seen,
            conversations=tuple(sorted(e.conversations)),
            users=tuple(sorted(e.users)),
            count=e.count,
        )
        for fingerprint, e in seen.items()
        if len(e.conversations) > 1 or len(e.users) > 1
    ]
    incidents.sort(key=lambda i: (-i.max_severity.rank, -len(i.conversations), -i.count,
                                  i.fingerprint))
    rank = {s.value: s.rank for s in Severity}
    facets = Facets(
        severities=tuple(sorted(severities, key=lambda s: -rank[s])),
        categories=tuple(sorted(categories)),
        entities=tuple(sorted(entities)),
        users=tuple(sorted(users)),
    )
    return tuple(incidents), facets


def build_report_model(
    out_dir: Path,
    run: RunInfo,
    collector: AnalyticsCollector,
    options: ReportOptions,
) -> ReportModel:
    findings = FindingsFile(out_dir / FINDINGS_FILE)
    incidents, facets = index_findings(findings)
    return ReportModel(
        run=run,
        findings=findings,
        incidents=incidents,
        facets=facets,
        analytics=collector.snapshot(options.min_group_size),
        options=options,
    )
