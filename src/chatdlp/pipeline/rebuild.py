"""``chatdlp report --state``: the reports rebuilt from the stored findings, without scanning."""

from __future__ import annotations

import time

from chatdlp.atomic import prepare_out_dir
from chatdlp.pipeline.plan import RebuildPlan
from chatdlp.pipeline.reports import write_formats
from chatdlp.policy import load_policies
from chatdlp.records import Diagnostics, Finding, ScanStats
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.formats import formatters_for, parse_formats
from chatdlp.report.jsonl import JsonlFindingsWriter
from chatdlp.state import FindingsStore


def rebuild_reports(request: RebuildPlan) -> ScanStats:
    """Write findings.jsonl and the requested formats from the stored findings.

    Analytics are rebuilt from the stored message metadata (no text is kept),
    replayed with their findings. ``since``/``until`` select by message time.
    """
    formatters = formatters_for(parse_formats(request.formats))
    policies = load_policies(list(request.policies))
    stats = ScanStats(sources=[f"state:{request.state_path}"])
    collector = AnalyticsCollector()
    with FindingsStore.open(request.state_path, create=False) as store:
        prepare_out_dir(request.out_dir)
        writer = JsonlFindingsWriter(request.out_dir)
        try:
            findings = store.findings(request.since, request.until, statuses=request.statuses)
            pending = next(findings, None)
            conversations: set[str] = set()
            for stored in store.messages(request.since, request.until):
                message = stored.message
                where = (message.conversation_id, message.message_id)
                mine: list[Finding] = []
                while pending is not None and (
                    pending.finding.conversation_id, pending.finding.message_id
                ) <= where:
                    if (pending.finding.conversation_id, pending.finding.message_id) == where:
                        mine.append(pending.finding)
                    pending = next(findings, None)
                conversations.add(message.conversation_id)
                stats.messages += 1
                stats.characters += stored.characters
                for finding in mine:
                    stats.count(finding)
                    writer.write(finding)
                collector.observe(message, mine)
            stats.conversations = len(conversations)
        finally:
            writer.close()
    stats.finished = time.time()
    write_formats(request.out_dir, formatters, stats, Diagnostics(), lambda: policies, collector,
                  request.report_options)
    return stats
