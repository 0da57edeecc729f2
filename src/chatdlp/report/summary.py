"""The one-screen run summary printed on stderr. Counts only: no values, no excerpts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatdlp.records import Diagnostics, Severity

if TYPE_CHECKING:
    from chatdlp.records import ScanStats

_CATEGORIES = ("pii", "phi", "pci", "secret", "confidential")


def _incremental_lines(stats: ScanStats) -> list[str]:
    lines = []
    if stats.unchanged_messages:
        lines.append(
            f"    unchanged    {stats.unchanged_messages:,} scanned by an earlier run, skipped (--state)"
        )
    if stats.outside_window:
        lines.append(f"    outside      {stats.outside_window:,} older than the window, not scanned")
    if stats.carried_over:
        lines.append(
            f"  carried over   {stats.carried_over:,} findings stored by an interrupted run, "
            "reported now"
        )
    if stats.suppressed:
        lines.append(f"  suppressed     {stats.suppressed:,} findings of suppressed fingerprints")
    if stats.baselined:
        lines.append(f"  baselined      {stats.baselined:,} findings of fingerprints in the --baseline file")
    return lines


def render_summary(stats: ScanStats, diagnostics: Diagnostics, out_dir: str) -> str:
    seconds = stats.seconds
    duplicates = (
        f" ({stats.duplicate_messages:,} already seen, skipped)" if stats.duplicate_messages else ""
    )
    lines = [
        "chatdlp scan summary",
        f"  sources        {len(stats.sources)}",
        f"  conversations  {stats.conversations:,}",
        f"  messages       {stats.messages:,}{duplicates}",
        *_incremental_lines(stats),
        f"  characters     {stats.characters:,}",
        f"  time           {seconds:.1f} s  "
        f"({stats.messages / seconds:,.0f} messages/s, {stats.characters / seconds:,.0f} chars/s)",
        f"  findings       {stats.findings:,}",
    ]
    if stats.findings:
        by_category = ", ".join(
            f"{c} {stats.by_category[c]:,}" for c in _CATEGORIES if stats.by_category.get(c)
        )
        by_severity = ", ".join(
            f"{s.value} {stats.by_severity[s.value]:,}"
            for s in reversed(Severity)
            if stats.by_severity.get(s.value)
        )
        lines.append(f"    by category  {by_category}")
        lines.append(f"    by severity  {by_severity}")
    lines.append(f"  skipped        {diagnostics.skipped_total:,} records")
    for reason, count in sorted(diagnostics.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {count:>6,}  {reason}")
    if diagnostics.unknown_content_types:
        kinds = ", ".join(
            f"{name} {count:,}" for name, count in sorted(diagnostics.unknown_content_types.items())
        )
        lines.append(f"  unknown content types (scanned as text): {kinds}")
    if stats.regex_timeouts:
        lines.append(
            f"  regex timeouts {sum(stats.regex_timeouts.values()):,} pattern runs skipped "
            "(the text was scanned without them)"
        )
        for rule, count in sorted(stats.regex_timeouts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count:>6,}  {rule}")
    if stats.error:
        lines.append(f"  INCOMPLETE: {stats.error}")
    lines.append(f"  output         {out_dir}")
    return "\n".join(lines)
