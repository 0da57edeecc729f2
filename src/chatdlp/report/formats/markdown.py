"""summary.md: a one-page summary for managers. Counts, incidents and analytics; no excerpts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from chatdlp.atomic import AtomicFile
from chatdlp.records import Severity
from chatdlp.report.analytics import Period
from chatdlp.report.model import ReportModel

FILE_NAME = "summary.md"
MAX_INCIDENTS = 20
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!{}()])")
_DIMENSION_TITLES = {
    "category": "Findings by category",
    "entity": "Findings by entity",
    "severity": "Findings by severity",
    "role": "By author role",
    "gpt": "By custom GPT",
    "project": "By project",
}


def md(value: object) -> str:
    """Text that Markdown renders as itself, on one line (safe in a table cell)."""
    text = "" if value is None else str(value)
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return lines


def _most_severe_lines(model: ReportModel) -> list[str]:
    """The findings that matter most, by rule, severity first: 200 critical card numbers in
    200 conversations are no incident (each value is seen once) but must reach this page."""
    counts: dict[tuple[int, str, str, str], list[int]] = {}
    conversations: dict[tuple[int, str, str, str], set[str]] = {}
    for finding in model.findings:
        if finding.severity.rank < Severity.HIGH.rank:
            continue
        key = (-finding.severity.rank, finding.severity.value, finding.entity_type, finding.rule_id)
        counts.setdefault(key, [0])[0] += 1
        conversations.setdefault(key, set()).add(finding.conversation_id)
    lines = ["", "## Critical and high findings", ""]
    if not counts:
        return [*lines, "None."]
    ordered = sorted(counts, key=lambda k: (k[0], -counts[k][0], k[2], k[3]))
    lines += table(
        ["severity", "entity", "rule", "findings", "conversations"],
        [[k[1], k[2], k[3], f"{counts[k][0]:,}", f"{len(conversations[k]):,}"]
         for k in ordered[:MAX_INCIDENTS]],
    )
    if len(ordered) > MAX_INCIDENTS:
        lines += ["", f"_{len(ordered) - MAX_INCIDENTS} more rules in findings.csv._"]
    return lines


def _period_lines(period: Period) -> list[str]:
    lines: list[str] = []
    for breakdown in period.breakdowns:
        with_messages = breakdown.dimension in ("role", "gpt", "project")
        lines += ["", f"**{_DIMENSION_TITLES[breakdown.dimension]}**", ""]
        header = ["group"] + (["messages"] if with_messages else []) + [
            "findings", "conversations", "distinct users"
        ]
        rows = [
            [row.key] + ([row.messages] if with_messages else [])
            + [row.findings, row.conversations, row.distinct_users]
            for row in breakdown.rows
        ]
        lines += table(header, rows)
        if breakdown.suppressed_groups:
            lines += ["", f"_{breakdown.suppressed_groups} small group(s) suppressed._"]
    return lines


class MarkdownFormatter:
    name: ClassVar[str] = "md"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        run = model.run
        analytics = model.analytics
        status = "complete" if run.complete else f"INCOMPLETE: {md(run.error)}"
        lines = [
            "# chatdlp scan summary",
            "",
            f"Generated {md(run.generated_at)} by chatdlp {md(run.version)}. Status: {status}.",
            "",
            "## Run",
            "",
        ]
        lines += table(
            ["", ""],
            [
                ["Sources", ", ".join(run.sources) or "none"],
                ["Time window", f"{run.window_start or 'n/a'} to {run.window_end or 'n/a'}"],
                ["Conversations scanned", f"{run.conversations:,}"],
                ["Messages scanned", f"{run.messages:,}"],
                ["Findings", f"{run.findings:,}"],
                ["Skipped records", f"{run.skipped_records:,}"],
            ],
        )
        lines += ["", "**Policies**", ""]
        lines += table(
            ["policy", "version", "sha256"],
            [[p.name, p.version, p.sha256] for p in run.policies],
        )
        lines += ["", "## Findings", ""]
        if run.findings:
            lines += table(["severity", "findings"], run.by_severity)
            lines.append("")
            lines += table(["category", "findings"], run.by_category)
            lines.append("")
            lines += table(["entity", "findings"], run.by_entity)
        else:
            lines.append("No findings.")
        lines += _most_severe_lines(model)
        lines += ["", "## Incidents", ""]
        lines.append(
            f"{len(model.incidents)} value(s) seen in more than one conversation or by more "
            "than one user (matched by fingerprint; the values are not shown)."
        )
        if model.incidents:
            lines.append("")
            lines += table(
                ["fingerprint", "entity", "highest severity", "conversations", "users",
                 "findings", "first seen", "last seen"],
                [
                    [i.fingerprint[:16], i.entity_type, i.max_severity.value,
                     len(i.conversations), len(i.users), i.count, i.first_seen or "",
                     i.last_seen or ""]
                    for i in model.incidents[:MAX_INCIDENTS]
                ],
            )
            if len(model.incidents) > MAX_INCIDENTS:
                lines += ["", f"_{len(model.incidents) - MAX_INCIDENTS} more in incidents.json._"]
        lines += [
            "",
            "## Analytics",
            "",
            f"Groups with fewer than {analytics.min_group_size} distinct users are folded into "
            "(other) or suppressed.",
            "",
        ]
        overall = analytics.overall
        if overall.suppressed:
            lines.append("Overall figures suppressed: too few distinct users.")
        else:
            lines += table(
                ["conversations", "messages", "with findings", "share", "findings",
                 "distinct users"],
                [[overall.conversations, overall.messages, overall.conversations_with_findings,
                  f"{overall.share_with_findings:.1%}", overall.findings,
                  overall.distinct_users]],
            )
            lines += _period_lines(overall)
        lines += ["", "**Per day**", ""]
        lines += table(
            ["day", "conversations", "messages", "with findings", "share", "findings"],
            [
                [d.label, "suppressed", "", "", "", ""] if d.suppressed else
                [d.label, d.conversations, d.messages, d.conversations_with_findings,
                 f"{d.share_with_findings:.1%}", d.findings]
                for d in analytics.days
            ],
        )
        path = out_dir / FILE_NAME
        with AtomicFile(path) as out:
            out.write("\n".join(lines) + "\n")
        return (path,)
