"""The command line: parse, call the library, print. Errors become exit codes here only."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chatdlp import __version__
from chatdlp.errors import ChatdlpError, ExitCode, StrictModeAbort
from chatdlp.records import Diagnostics, Severity

F = TypeVar("F", bound=Callable[..., Any])
MAX_PRINTED_WARNINGS = 50


def _handle_errors(func: F) -> F:
    """Map chatdlp's exception hierarchy to exit codes, with a message and no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ChatdlpError as exc:
            click.echo(f"chatdlp: error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("chatdlp: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _version_message() -> str:
    from chatdlp.detect.nlp import NlpProfile

    try:
        pipeline = NlpProfile.load().installed_package()
    except ChatdlpError:
        pipeline = "none installed"
    return f"chatdlp {__version__} (spaCy pipeline: {pipeline})"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, message=_version_message())
def main() -> None:
    """chatdlp: find personal data, health data, card numbers, secrets and
    confidential terms in AI chat transcripts (ChatGPT Enterprise / Edu).

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or
    configuration error, 3 the scan could not finish (what was found is written).
    """


def _warning_printer(quiet: bool) -> Callable[[str], None]:
    printed = 0

    def emit(message: str) -> None:
        nonlocal printed
        if quiet:
            return
        printed += 1
        if printed <= MAX_PRINTED_WARNINGS:
            click.echo(f"chatdlp: warning: {message}", err=True)
        elif printed == MAX_PRINTED_WARNINGS + 1:
            click.echo("chatdlp: warning: more warnings follow; see the summary", err=True)

    return emit


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--policy", "policies", multiple=True, metavar="NAME|PATH",
    help="Policy pack name or YAML file (repeatable). Default: every shipped pack.",
)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("chatdlp-out"), show_default=True, help="Directory for the reports.",
)
@click.option(
    "--fail-on", type=click.Choice([s.value for s in Severity]), default=Severity.HIGH.value,
    show_default=True, help="Exit 1 when a finding is at or above this severity.",
)
@click.option(
    "--format", "formats", multiple=True, metavar="LIST",
    help="Extra reports, comma-separated: csv, html, md, sarif, analytics, incidents "
    "(findings.jsonl is always written; csv and html bring incidents along).",
)
@click.option(
    "--link-template", default="https://chatgpt.com/c/{conversation_id}", show_default=True,
    help="Deep link to a conversation in the reports ({conversation_id}, {message_id}).",
)
@click.option(
    "--min-group-size", type=click.IntRange(min=1), default=5, show_default=True,
    help="Analytics: groups with fewer distinct users are folded into (other) or suppressed.",
)
@click.option(
    "--reveal", "reveal", multiple=True, metavar="ENTITIES",
    help="Let excerpts show a bounded hint for these entities, comma-separated: the last 4 "
    "digits (CREDIT_CARD, US_SSN, ...) or the e-mail domain (EMAIL_ADDRESS). Default: none.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when any record was skipped as bad input.")
@click.option("--quiet", "-q", is_flag=True, help="Do not print a warning per bad record.")
@_handle_errors
def scan(
    sources: tuple[str, ...],
    policies: tuple[str, ...],
    out_dir: Path,
    fail_on: str,
    formats: tuple[str, ...],
    link_template: str,
    min_group_size: int,
    reveal: tuple[str, ...],
    strict: bool,
    quiet: bool,
) -> None:
    """Scan SOURCE... and write findings.jsonl into --out.

    SOURCE is a ChatGPT export (.zip or conversations.json), a saved Compliance
    API list page (.json), JSONL (Compliance API conversations or flat messages
    {"conversation_id","message_id","role","text",...}), a directory of those,
    or - for JSONL on stdin. The format is sniffed from the content.

    \b
    Examples:
      chatdlp scan export.zip
      chatdlp scan archive/ --policy pii --policy ./acme.yaml --out reports/
      cat messages.jsonl | chatdlp scan - --fail-on medium
      chatdlp scan export.zip --format csv,html,md,sarif,analytics
    """
    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.policy import load_policies
    from chatdlp.report.analytics import AnalyticsCollector
    from chatdlp.report.build import build_report_model, run_info
    from chatdlp.report.files import prepare_out_dir
    from chatdlp.report.fingerprint import FingerprintKey
    from chatdlp.report.formats import formatters_for, parse_formats
    from chatdlp.report.jsonl import JsonlFindingsWriter
    from chatdlp.report.model import LinkTemplate, ReportOptions
    from chatdlp.report.redact import RevealPolicy
    from chatdlp.report.summary import render_summary
    from chatdlp.scan import ScanStats, run_scan
    from chatdlp.sources import open_source

    formatters = formatters_for(parse_formats(formats))
    options = ReportOptions(LinkTemplate(link_template), min_group_size)
    reveal_policy = RevealPolicy.of(name for value in reveal for name in value.split(","))
    policy_set = load_policies(policies)
    opened = [open_source(spec) for spec in sources]
    key = FingerprintKey.from_environment()
    profile = NlpProfile.load()
    detector = Detector(policy_set, load_pipeline(profile), profile)
    prepare_out_dir(out_dir)
    diagnostics = Diagnostics(listener=_warning_printer(quiet))
    sinks = [JsonlFindingsWriter(out_dir)]
    stats = ScanStats()
    collector = AnalyticsCollector()
    failure: ChatdlpError | None = None
    try:
        run_scan(opened, detector, key, sinks, diagnostics, stats, [collector], reveal_policy)
    except ChatdlpError as exc:
        failure = exc  # the reports below still show what was found, marked incomplete
    try:
        if formatters:
            run = run_info(stats, diagnostics, policy_set, collector.window)
            model = build_report_model(out_dir, run, collector, options)
            for formatter in formatters:
                formatter.write(model, out_dir)
    finally:
        click.echo(render_summary(stats, diagnostics, str(out_dir)), err=True)
    if failure is not None:
        raise failure
    if diagnostics.failures:
        sys.exit(ExitCode.INCOMPLETE)
    if strict and diagnostics.skipped_total:
        raise StrictModeAbort(
            f"--strict: {diagnostics.skipped_total} bad record(s) skipped; findings were written"
        )
    if stats.findings_at_or_above(Severity(fail_on)):
        sys.exit(ExitCode.FINDINGS)
