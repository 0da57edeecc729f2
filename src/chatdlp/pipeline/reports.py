"""The --format reports of a run, a scan's or a rebuild's (no detector needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from chatdlp.policy.model import PolicySet
from chatdlp.records import Diagnostics, ScanStats
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.build import build_report_model, run_info
from chatdlp.report.formats import Formatter
from chatdlp.report.model import ReportOptions


def write_formats(
    out_dir: Path, formatters: Sequence[Formatter], stats: ScanStats, diagnostics: Diagnostics,
    policies: Callable[[], PolicySet], collector: AnalyticsCollector, options: ReportOptions,
) -> None:
    """The --format reports, from the report model of a run (a scan's or a rebuild's). The
    policies are asked for only when there is a report to write (a rerun may not have them)."""
    if not formatters:
        return
    run = run_info(stats, diagnostics, policies(), collector.window)
    model = build_report_model(out_dir, run, collector, options)
    for formatter in formatters:
        formatter.write(model, out_dir)
