"""Small builders for report tests: findings, a findings file and a report model, no spaCy."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from chatdlp.records import Category, Finding, Message, Severity
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.build import index_findings
from chatdlp.report.model import (
    FindingsFile,
    PolicyInfo,
    ReportModel,
    ReportOptions,
    RuleInfo,
    RunInfo,
)

RULES = (
    RuleInfo("pii.us_ssn", "US_SSN", "pii", Severity.HIGH, "US Social Security number", "pii"),
    RuleInfo("pii.email", "EMAIL_ADDRESS", "pii", Severity.MEDIUM, "", "pii"),
    RuleInfo("pci.credit_card", "CREDIT_CARD", "pci", Severity.CRITICAL, "Card number", "pci"),
)


_PLACEHOLDER = re.compile(r"\[[A-Z0-9_+]+(?: [^\]\[]{1,80})?\]")


def finding(number: int, **changes: object) -> Finding:
    base = Finding(
        id=f"f{number:04d}",
        rule_id="pii.us_ssn",
        entity_type="US_SSN",
        category=Category.PII,
        severity=Severity.HIGH,
        score=0.85,
        conversation_id="conv-1",
        message_id=f"m{number}",
        role="user",
        user_id="user-a",
        created_at=f"2025-11-25T08:{number % 60:02d}:00Z",
        start=10,
        end=21,
        excerpt="my SSN is [US_SSN] thanks",
        fingerprint="fp-ssn-1",
        source="in.jsonl",
        policy="pii",
    )
    made = replace(base, **changes)  # type: ignore[arg-type]
    if "excerpt_masks" not in changes:  # as redaction would have recorded them
        masks = tuple(m.span() for m in _PLACEHOLDER.finditer(made.excerpt))
        made = replace(made, excerpt_masks=masks)
    return made


def write_findings(path: Path, findings: Sequence[Finding]) -> FindingsFile:
    path.write_text("".join(json.dumps(f.to_dict()) + "\n" for f in findings))
    return FindingsFile(path)


def run_info(findings: Sequence[Finding], error: str | None = None) -> RunInfo:
    return RunInfo(
        tool="chatdlp",
        version="0.1.0",
        generated_at="2025-12-01T00:00:00Z",
        sources=("in.jsonl",),
        policies=(PolicyInfo("pii", 1, "policies/pii.yaml", "ab" * 32),
                  PolicyInfo("pci", 1, "policies/pci.yaml", "cd" * 32)),
        rules=RULES,
        window_start="2025-11-25T08:00:00Z",
        window_end="2025-11-25T09:00:00Z",
        conversations=3,
        messages=10,
        characters=500,
        findings=len(findings),
        by_severity=(("high", len(findings)),),
        by_category=(("pii", len(findings)),),
        by_entity=(("US_SSN", len(findings)),),
        skipped_records=0,
        error=error,
    )


def message(conversation: str, user: str | None, **changes: object) -> Message:
    base = Message(conversation_id=conversation, message_id="m", role="user", text="",
                   user_id=user, created_at=1764057600.0)
    return replace(base, **changes)  # type: ignore[arg-type]


def model(
    tmp_path: Path,
    findings: Sequence[Finding],
    options: ReportOptions | None = None,
    collector: AnalyticsCollector | None = None,
    error: str | None = None,
) -> ReportModel:
    findings_file = write_findings(tmp_path / "findings.jsonl", findings)
    incidents, facets = index_findings(findings_file)
    options = options or ReportOptions()
    return ReportModel(
        run=run_info(findings, error),
        findings=findings_file,
        incidents=incidents,
        facets=facets,
        analytics=(collector or AnalyticsCollector()).snapshot(options.min_group_size),
        options=options,
    )
