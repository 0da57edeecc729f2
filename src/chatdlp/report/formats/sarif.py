"""findings.sarif: SARIF 2.1.0, built from structured data and streamed result by result.

One run: the tool (chatdlp, its version, one reporting descriptor per policy
rule) and one result per finding with a logical location
``conversation/message``, the redacted excerpt in its message, never the value,
and the finding's value fingerprint as a partial fingerprint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from chatdlp.atomic import AtomicFile
from chatdlp.records import Finding, Severity
from chatdlp.report.model import ReportModel, RuleInfo

FILE_NAME = "findings.sarif"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "chatdlpValueFingerprint/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this 0.0-10.0 score to rank security results.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def rule_descriptor(rule: RuleInfo) -> dict[str, object]:
    text = rule.description or f"{rule.entity} ({rule.category}) in a chat message"
    return {
        "id": rule.id,
        "name": rule.entity,
        "shortDescription": {"text": text},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "policy": rule.policy,
            "category": rule.category,
            "entity": rule.entity,
            "severity": rule.severity.value,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": ["dlp", rule.category],
        },
    }


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def artifact_uri(source: str) -> str:
    """The source a finding came from as a URI reference: a path (percent-encoded, relative
    as given), a compliance:// source as it is, stdin as ``stdin``."""
    if "://" in source:
        return source
    if source in ("", "-"):
        return "stdin"
    return quote(source.replace("\\", "/"), safe="/:._-~")


def physical_location(finding: Finding) -> dict[str, object]:
    """Where a code-scanning viewer can point: the source file. Offsets index the message
    text, not the file, so there is no region: the location's message names the message."""
    if not finding.source:
        return {}
    return {
        "physicalLocation": {"artifactLocation": {"uri": artifact_uri(finding.source)}},
        "message": {
            "text": f"message {finding.message_id} of conversation {finding.conversation_id}, "
            f"characters {finding.start}-{finding.end}"
        },
    }


def result(finding: Finding, rule_index: int | None, link: str) -> dict[str, object]:
    item: dict[str, object] = {
        "ruleId": finding.rule_id,
        "level": LEVELS[finding.severity],
        "message": {
            "text": f"{finding.entity_type} ({finding.severity.value}) in {article(finding.role)} "
            f"{finding.role} message: {finding.excerpt}"
        },
        "locations": [
            {
                **physical_location(finding),
                "logicalLocations": [
                    {
                        "name": finding.message_id,
                        "fullyQualifiedName": f"{finding.conversation_id}/{finding.message_id}",
                        "kind": "object",
                    }
                ]
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "findingId": finding.id,
            "severity": finding.severity.value,
            "category": finding.category.value,
            "entity": finding.entity_type,
            "score": round(finding.score, 4),
            "conversationId": finding.conversation_id,
            "messageId": finding.message_id,
            "role": finding.role,
            "userId": finding.user_id,
            "createdAt": finding.created_at,
            "link": link,
        },
    }
    if rule_index is not None:
        item["ruleIndex"] = rule_index
    return item


class SarifFormatter:
    name: ClassVar[str] = "sarif"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        run = model.run
        index = {rule.id: i for i, rule in enumerate(run.rules)}
        head: dict[str, object] = {
            "tool": {
                "driver": {
                    "name": run.tool,
                    "version": run.version,
                    "semanticVersion": run.version,
                    "rules": [rule_descriptor(rule) for rule in run.rules],
                }
            },
            "invocations": [
                {
                    "executionSuccessful": run.complete,
                    "endTimeUtc": run.generated_at,
                    **({"exitCodeDescription": run.error} if run.error else {}),
                }
            ],
            "columnKind": "unicodeCodePoints",
            "properties": {
                "sources": list(run.sources),
                "policies": [
                    {"name": p.name, "version": p.version, "sha256": p.sha256}
                    for p in run.policies
                ],
                "timeWindow": {"start": run.window_start, "end": run.window_end},
                "conversations": run.conversations,
                "messages": run.messages,
                "findings": run.findings,
            },
        }
        path = out_dir / FILE_NAME
        link = model.options.link_template
        with AtomicFile(path) as out:
            # The run object is written open (a JSON object always ends with "}"), then
            # the results one by one: never all of them in memory.
            run_open = json.dumps(head, ensure_ascii=False)[:-1]
            out.write(
                f'{{"$schema": {json.dumps(SCHEMA_URI)}, "version": "2.1.0", '
                f'"runs": [{run_open}, "results": ['
            )
            for number, finding in enumerate(model.findings):
                item = result(
                    finding, index.get(finding.rule_id),
                    link.url(finding.conversation_id, finding.message_id),
                )
                out.write(("," if number else "") + "\n" + json.dumps(item, ensure_ascii=False))
            out.write("\n]}]}\n")
        return (path,)
