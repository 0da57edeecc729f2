"""From a message and its detections to reportable findings (redacted, fingerprinted)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chatdlp.records import Detection, Finding, Message
from chatdlp.report.fingerprint import FingerprintKey
from chatdlp.report.redact import NO_REVEAL, RevealPolicy, excerpt_of
from chatdlp.timefmt import iso_time


def finding_id(message: Message, detection: Detection) -> str:
    """Stable across runs: the same hit in the same message has the same id."""
    key = "\x00".join(
        (message.conversation_id, message.message_id, str(detection.start), str(detection.end),
         detection.rule_id)
    )
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def findings_for(
    message: Message,
    detections: Sequence[Detection],
    key: FingerprintKey,
    reveal: RevealPolicy = NO_REVEAL,
) -> list[Finding]:
    """One finding per reported detection; every detection is masked in every excerpt."""
    spans = [(d.start, d.end, d.entity_type) for d in detections]
    created_at = iso_time(message.created_at)
    findings = []
    for d in detections:
        if not d.reported:
            continue
        excerpt = excerpt_of(message.text, spans, d.start, d.end, reveal=reveal, overmask=True)
        findings.append(Finding(
            id=finding_id(message, d),
            rule_id=d.rule_id,
            entity_type=d.entity_type,
            category=d.category,
            severity=d.severity,
            score=d.score,
            conversation_id=message.conversation_id,
            message_id=message.message_id,
            role=message.role,
            user_id=message.user_id,  # ids went through the boundary (pipeline/ingress.py)
            created_at=created_at,
            start=d.start,
            end=d.end,
            excerpt=excerpt.text,
            fingerprint=key.fingerprint(d.entity_type, message.text[d.start : d.end]),
            source=message.source,
            policy=d.policy,
            content_type=message.content_type,
            tool_name=message.tool_name,
            gpt_id=message.gpt_id,
            project_id=message.project_id,
            source_kind=message.source_kind,
            disguised=d.disguised,
            edm_columns=d.edm_columns,
            related_message_ids=d.related_message_ids,
            excerpt_masks=excerpt.masks,
        ))
    return findings
