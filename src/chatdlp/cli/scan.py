"""``chatdlp scan``, and the run-and-summarise step ``chatdlp sweep`` shares."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chatdlp.cli.options import (
    ScanArgs,
    audit_hook,
    compliance_api_options,
    report_options,
    scan_options,
    scan_plan,
    warning_printer,
)
from chatdlp.errors import ConfigError

if TYPE_CHECKING:
    from chatdlp.pipeline.outcome import ScanOutcome
    from chatdlp.pipeline.plan import ScanPlan


def run_and_summarise(
    plan: ScanPlan, quiet: bool, after_reports: Callable[[ScanOutcome], None] | None = None,
    audit_log: Path | None = None, out_label: str | None = None,
) -> ScanOutcome:
    """Run the scan and print the summary; the outcome decides the exit code (outcome.py).
    With ``audit_log``, every Compliance API request of the run is written to it."""
    with audit_hook(audit_log) as hook:
        if hook is not None:
            audited = dataclasses.replace(plan.compliance, client_hook=hook)
            plan = dataclasses.replace(plan, compliance=audited)
        return _run_and_summarise(plan, quiet, after_reports, out_label)


def _run_and_summarise(
    plan: ScanPlan, quiet: bool, after_reports: Callable[[ScanOutcome], None] | None,
    out_label: str | None,
) -> ScanOutcome:
    from chatdlp.cli.progress import progress_display
    from chatdlp.pipeline.run import run_scan
    from chatdlp.report.summary import exit_line, render_summary, report_lines

    loud = functools.partial(click.echo, err=True)
    ctx = click.get_current_context()
    ctx.find_root().meta["chatdlp.interrupted"] = (
        f"the batches committed to {plan.state_path} so far are kept; a rerun goes on from there"
        if plan.state_path is not None else
        f"nothing was reported unless the scan had started: then {plan.out_dir}/findings.jsonl "
        "holds what was found so far")
    key_existed = _fingerprint_key_exists()
    outcome = None
    progress = progress_display(quiet)
    try:
        if progress is None:
            outcome = run_scan(
                plan, warning_printer(quiet), loud=lambda message: loud(f"chatdlp: WARNING: {message}")
            )
        else:
            with progress:
                outcome = run_scan(
                    dataclasses.replace(plan, observers=(*plan.observers, progress)),
                    warning_printer(quiet), loud=lambda message: loud(f"chatdlp: WARNING: {message}"),
                )
    finally:
        if outcome is not None:
            click.echo(render_summary(outcome.stats, outcome.diagnostics, out_label or str(plan.out_dir)),
                       err=True)
            ending = report_lines(None if out_label else plan.out_dir)
            code = int(outcome.exit_code())
            ending.append(exit_line(code, outcome.stats.findings_at_or_above(plan.fail_on),
                                    plan.fail_on.value))
            if outcome.earlier_alert() and outcome.unalerted is not None:
                ending.append(f"an earlier run was stopped before its exit code: it wrote findings up to "
                              f"{outcome.unalerted.value}, so this run exits 1 for them")
            click.echo("\n".join(ending), err=True)
            outcome.alerted(code)  # only now: a kill before this line alerts again on the next run
    if not key_existed and _fingerprint_key_exists():
        from chatdlp.report.fingerprint import KEY_FILE, config_dir

        loud(f"chatdlp: note: created the fingerprint key {config_dir() / KEY_FILE}: back it up; "
             "fingerprints (suppressions, baselines, incidents across runs) match only under the same key")
    if after_reports is not None:
        after_reports(outcome)
    for gap in outcome.retention_gaps:  # again, after the summary: the last thing on screen
        loud(f"chatdlp: WARNING: RETENTION GAP: {gap}")
    return outcome


def _fingerprint_key_exists() -> bool:
    from chatdlp.report.fingerprint import KEY_ENV, KEY_FILE, config_dir

    return bool(os.environ.get(KEY_ENV)) or (config_dir() / KEY_FILE).is_file()


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path, allow_dash=True),
    default=Path("chatdlp-out"), show_default=True,
    help="Directory for the reports; - prints the findings as JSON lines on stdout (no --format).",
)
@scan_options
@report_options
@click.option(
    "--state", "state", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="SQLite state for incremental, exactly-once runs: checkpoints, scanned message ids "
    "(hashes only) and findings. Only new findings are reported.",
)
@click.option(
    "--fail-on-gap", is_flag=True,
    help="With --state: exit 3 when a compliance:// checkpoint is older than 25 days.",
)
@compliance_api_options
def scan(state: Path | None, fail_on_gap: bool, **options: Any) -> ScanOutcome:
    """Scan SOURCE... and write findings.jsonl into --out.

    SOURCE is a ChatGPT export (.zip or conversations.json), a saved Compliance
    API list page (.json), JSONL (Compliance API conversations or flat messages
    {"conversation_id","message_id","role","text",...}), a directory of those,
    or - for JSONL on stdin. The format is sniffed from the content.
    compliance://WORKSPACE_ID reads the live Compliance API (key in
    CHATDLP_COMPLIANCE_API_KEY or CHATDLP_COMPLIANCE_API_KEY_FILE).

    With --state, messages scanned by an earlier run are skipped, and --out
    receives only the findings not reported before.

    \b
    Examples:
      chatdlp scan export.zip
      chatdlp scan archive/ --policy pii --policy ./acme.yaml --out reports/
      cat messages.jsonl | chatdlp scan - --fail-on medium
      chatdlp scan export.zip --format csv,html,md,sarif,analytics
      chatdlp scan compliance://ws-123 --since 24h
      chatdlp scan compliance://ws-123 --state /var/lib/chatdlp/state.db --fail-on-gap
      chatdlp scan export.zip --out - | jq -r .rule_id     # findings as JSON lines on stdout
    """
    args = ScanArgs(**options)
    if fail_on_gap and state is None:
        raise ConfigError("--fail-on-gap needs --state (the checkpoint lives there)")
    if str(args.out_dir) != "-":
        return run_and_summarise(scan_plan(args, state, fail_on_gap=fail_on_gap), args.quiet,
                                 audit_log=args.audit_log)
    if any(name.strip() for value in args.formats for name in value.split(",")):
        raise ConfigError("--out - prints findings.jsonl on stdout; the other reports (--format) "
                          "need a directory: give --out DIR")
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="chatdlp-out-") as scratch:
        args = dataclasses.replace(args, out_dir=Path(scratch))
        plan = dataclasses.replace(scan_plan(args, state, fail_on_gap=fail_on_gap),
                                   stream_findings=sys.stdout)
        return run_and_summarise(plan, args.quiet, audit_log=args.audit_log, out_label="stdout")
