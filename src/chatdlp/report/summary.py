"""The one-screen run summary printed on stderr. Counts only: no values, no excerpts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from chatdlp.records import Diagnostics, Severity

if TYPE_CHECKING:
    from chatdlp.records import ScanStats

_CATEGORIES = ("pii", "phi", "pci", "secret", "confidential")


def plural(count: int, noun: str) -> str:
    """``1 record``, ``2 records``, ``1,000 records``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# Which file to open first, for whom (the summary's last lines name the ones written).
OPEN_FIRST = (
    ("report.html", "in a browser, for reviewers: filters and triage commands"),
    ("summary.md", "one page for managers"),
    ("findings.csv", "a spreadsheet"),
    ("findings.sarif", "for code-scanning viewers"),
    ("findings.jsonl", "one JSON line per finding (SIEM; schemas/findings.schema.json)"),
)


def report_lines(out_dir: Path | None) -> list[str]:
    """Where the reports are and which to open (nothing when they went to stdout)."""
    if out_dir is None:
        return []
    written = [(name, why) for name, why in OPEN_FIRST if (out_dir / name).is_file()]
    return [f"  open           {out_dir / name}: {why}" for name, why in written[:2]]


def exit_line(code: int, findings_at_or_above: int, fail_on: str) -> str:
    """What the exit code says, in words (a cron job's mail, a CI log)."""
    if code == 0:
        return f"  exit 0         nothing at or above --fail-on {fail_on}"
    if code == 1:
        return (f"  exit 1         {plural(findings_at_or_above, 'finding')} at or above --fail-on "
                f"{fail_on} (the scan itself finished)")
    if code == 2:
        return "  exit 2         a usage or configuration error"
    return f"  exit {code:<10}the scan could not finish; what it found is written"


def _incremental_lines(stats: ScanStats) -> list[str]:
    lines = [f"  resumed        {note}" for note in stats.resumed]
    if stats.unchanged_messages:
        lines.append(
            f"    unchanged    {stats.unchanged_messages:,} scanned by an earlier run, skipped (--state)"
        )
    if stats.unchanged_files:
        files = f"{stats.unchanged_files:,} file{'s' if stats.unchanged_files != 1 else ''}"
        lines.append(f"    unread       {files} with the bytes an earlier run read whole: "
                     "not read again (--state)")
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
    lines.append(f"  skipped        {plural(diagnostics.skipped_total, 'record')}")
    for reason, count in sorted(diagnostics.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {count:>6,}  {reason}")
    if diagnostics.unknown_content_types:
        kinds = ", ".join(
            f"{name} {count:,}" for name, count in sorted(diagnostics.unknown_content_types.items())
        )
        lines.append(f"  unknown content types (scanned as text): {kinds}")
    _counted(lines, stats.pattern_timeouts,
             "  regex timeouts {total:,} pattern runs skipped (the text was scanned without them)")
    _counted(lines, stats.detection_cuts,
             "  time bounds    {total:,} message reads cut (the rest of those messages was not read "
             "by that rule)")
    if stats.error:
        lines.append(f"  INCOMPLETE: {stats.error}")
    lines.append(f"  output         {out_dir}")
    return "\n".join(lines)


def _counted(lines: list[str], counts: Mapping[str, int], heading: str) -> None:
    """``heading`` (with the ``total``) and a line per rule, the most frequent first; nothing
    when ``counts`` is empty."""
    if not counts:
        return
    lines.append(heading.format(total=sum(counts.values())))
    for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {count:>6,}  {rule}")
