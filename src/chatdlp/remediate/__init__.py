"""Remediation through the Compliance API: plan offline, approve by a second person,
apply with evidence and a hash-chained audit log of every call.

    plan      stored findings -> actions (one per conversation, file, GPT or Project),
              legal holds left out                         (plan.py, holds.py, model.py)
    approve   a second person approves the action list's sha256        (approval.py)
    apply     evidence first, then the delete, paced and retried;
              findings become ``remediated``            (apply.py, evidence.py, client.py)
    audit     one chained JSON line per HTTP request, for any API command   (audit.py)

At the pipeline's level: it reads the state and uses the Compliance API's settings,
limiter and retry policy; nothing below it imports it.
"""

from chatdlp.remediate.audit import AuditTrail, AuditTransport, attach_audit, verify_audit

__all__ = ["AuditTrail", "AuditTransport", "attach_audit", "verify_audit"]
