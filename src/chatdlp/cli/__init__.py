"""The command line: parse, call the library, print. Errors become exit codes here only."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from chatdlp import __version__
from chatdlp.errors import ChatdlpError, ConfigError, ExitCode, StrictModeAbort
from chatdlp.records import Diagnostics, Severity

if TYPE_CHECKING:
    from chatdlp.sources.compliance_api import ComplianceOptions

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


def _progress_printer(quiet: bool) -> Callable[[str], None]:
    def emit(message: str) -> None:
        if not quiet:
            click.echo(f"chatdlp: {message}", err=True)

    return emit


def _compliance_api_options(func: F) -> F:
    """Options of compliance:// sources (the key is never an option: see the README)."""
    options = [
        click.option(
            "--since", metavar="WHEN", default=None,
            help="compliance:// only: conversations updated since WHEN: a duration (24h, 7d), "
            "an ISO date or date-time (UTC by default), or Unix seconds.",
        ),
        click.option(
            "--users", multiple=True, metavar="USER_ID",
            help="compliance:// only: only this user's conversations (repeatable).",
        ),
        click.option(
            "--page-size", type=click.IntRange(1, 500), default=100, show_default=True,
            help="compliance:// only: conversations per page (halved on pages too big or slow).",
        ),
        click.option(
            "--max-requests-per-minute", type=click.IntRange(min=1), default=50,
            show_default=True, help="compliance:// only: client-side rate limit.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _compliance_options(
    since: str | None, users: tuple[str, ...], page_size: int, max_rpm: int, quiet: bool
) -> ComplianceOptions:
    from chatdlp.sources.compliance_api import ComplianceOptions

    return ComplianceOptions(
        since=since, users=users, page_size=page_size, max_requests_per_minute=max_rpm,
        progress=_progress_printer(quiet),
    )


def _report_options(func: F) -> F:
    """Options shared by scan, sweep and report: what goes into --out and how."""
    options = [
        click.option(
            "--format", "formats", multiple=True, metavar="LIST",
            help="Extra reports, comma-separated: csv, html, md, sarif, analytics, incidents "
            "(findings.jsonl is always written; csv and html bring incidents along).",
        ),
        click.option(
            "--link-template", default="https://chatgpt.com/c/{conversation_id}",
            show_default=True,
            help="Deep link to a conversation in the reports ({conversation_id}, {message_id}).",
        ),
        click.option(
            "--min-group-size", type=click.IntRange(min=1), default=5, show_default=True,
            help="Analytics: groups with fewer distinct users are folded into (other) or suppressed.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _scan_options(func: F) -> F:
    """Options shared by scan and sweep."""
    options = [
        click.option(
            "--policy", "policies", multiple=True, metavar="NAME|PATH",
            help="Policy pack name or YAML file (repeatable). Default: every shipped pack.",
        ),
        click.option(
            "--fail-on", type=click.Choice([s.value for s in Severity]),
            default=Severity.HIGH.value, show_default=True,
            help="Exit 1 when a finding is at or above this severity.",
        ),
        click.option(
            "--reveal", "reveal", multiple=True, metavar="ENTITIES",
            help="Let excerpts show a bounded hint for these entities, comma-separated: the last 4 "
            "digits (CREDIT_CARD, US_SSN, ...) or the e-mail domain (EMAIL_ADDRESS). Default: none.",
        ),
        click.option(
            "--sink", "sinks", multiple=True, metavar="KIND=URL",
            help="Also send findings to webhook=URL (token in CHATDLP_WEBHOOK_TOKEN) or "
            "splunk-hec=URL (token in CHATDLP_SPLUNK_HEC_TOKEN). Repeatable.",
        ),
        click.option(
            "--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1,
            show_default="cores",
            help="Detector processes (local engine; inputs of one batch, 64 messages, stay in "
            "this process), or Ray actors (ray engine).",
        ),
        click.option(
            "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
            help="local: this machine's processes; ray: Ray actors (pip install 'chatdlp[ray]').",
        ),
        click.option(
            "--ray-address", metavar="ADDR", default=None,
            help="--engine ray: a running Ray cluster (HOST:6379, ray://HOST:10001, auto). "
            "Default: a local Ray instance on 127.0.0.1, started and stopped by this run.",
        ),
        click.option(
            "--include-test-values", is_flag=True,
            help="Also report documentation and test values (555-01xx numbers, example.com, "
            "published test card numbers, placeholder names in templates).",
        ),
        click.option(
            "--strict", is_flag=True, help="Exit 3 when any record was skipped as bad input."
        ),
        click.option(
            "--quiet", "-q", is_flag=True,
            help="Do not print a warning per bad record, nor progress.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclasses.dataclass(frozen=True)
class _ScanArgs:
    """The parsed options common to scan and sweep."""

    sources: tuple[str, ...]
    policies: tuple[str, ...]
    out_dir: Path
    fail_on: str
    formats: tuple[str, ...]
    link_template: str
    min_group_size: int
    reveal: tuple[str, ...]
    sinks: tuple[str, ...]
    workers: int
    engine: str
    ray_address: str | None
    include_test_values: bool
    strict: bool
    quiet: bool
    since: str | None
    users: tuple[str, ...]
    page_size: int
    max_requests_per_minute: int


def _scan_request(
    args: _ScanArgs, state: Path | None = None, window: Any = None, command: str = "scan"
) -> Any:
    from chatdlp.pipeline.run import ScanRequest
    from chatdlp.report.model import LinkTemplate, ReportOptions
    from chatdlp.report.redact import RevealPolicy
    from chatdlp.report.sinks import parse_sink

    return ScanRequest(
        sources=args.sources,
        out_dir=args.out_dir,
        formats=args.formats,
        report_options=ReportOptions(LinkTemplate(args.link_template), args.min_group_size),
        reveal=RevealPolicy.of(name for value in args.reveal for name in value.split(",")),
        compliance=_compliance_options(
            args.since, args.users, args.page_size, args.max_requests_per_minute, args.quiet
        ),
        state_path=state,
        sinks=tuple(parse_sink(value) for value in args.sinks),
        window=window,
        command=command,
        policies=args.policies,
        workers=args.workers,
        engine=args.engine,
        ray_address=args.ray_address,
    )


def _run_and_exit(
    args: _ScanArgs, request: Any, fail_on_gap: bool = False,
    after_reports: Callable[[Any], None] | None = None,
) -> None:
    """Run the scan, print the summary, and exit as the contract says (see DESIGN.md)."""
    from chatdlp.errors import RetentionGap, SinkError
    from chatdlp.pipeline.run import execute_scan
    from chatdlp.report.summary import render_summary

    warn = _warning_printer(args.quiet)
    loud = functools.partial(click.echo, err=True)
    outcome = None
    try:
        outcome = execute_scan(
            request, lambda: _build_detector(list(args.policies), args.include_test_values),
            warn, loud=lambda message: loud(f"chatdlp: WARNING: {message}"),
        )
    finally:
        if outcome is not None:
            click.echo(render_summary(outcome.stats, outcome.diagnostics, str(args.out_dir)),
                       err=True)
    if after_reports is not None:
        after_reports(outcome)
    for gap in outcome.retention_gaps:  # again, after the summary: the last thing on screen
        loud(f"chatdlp: WARNING: RETENTION GAP: {gap}")
    if outcome.failure is not None:
        raise outcome.failure
    if outcome.diagnostics.failures:
        sys.exit(ExitCode.INCOMPLETE)
    if args.strict and outcome.diagnostics.skipped_total:
        raise StrictModeAbort(
            f"--strict: {outcome.diagnostics.skipped_total} bad record(s) skipped; "
            "findings were written"
        )
    if fail_on_gap and outcome.retention_gaps:
        raise RetentionGap(
            f"--fail-on-gap: {len(outcome.retention_gaps)} source(s) with a checkpoint older "
            "than the retention allows; the scan ran and its findings were written"
        )
    if outcome.sink_errors and request.state_path is None:
        unsent = sum(outcome.unsent.values())
        raise SinkError(
            f"{unsent:,} finding(s) were not delivered to a sink (they are in findings.jsonl; "
            "with --state they would be kept and sent on the next run)"
        )
    if outcome.stats.findings_at_or_above(Severity(args.fail_on)):
        sys.exit(ExitCode.FINDINGS)


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("chatdlp-out"), show_default=True, help="Directory for the reports.",
)
@_scan_options
@_report_options
@click.option(
    "--state", "state", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="SQLite state for incremental, exactly-once runs: checkpoints, scanned message ids "
    "(hashes only) and findings. Only new findings are reported.",
)
@click.option(
    "--fail-on-gap", is_flag=True,
    help="With --state: exit 3 when a compliance:// checkpoint is older than 25 days.",
)
@_compliance_api_options
@_handle_errors
def scan(state: Path | None, fail_on_gap: bool, **options: Any) -> None:
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
    """
    args = _ScanArgs(**options)
    if fail_on_gap and state is None:
        raise ConfigError("--fail-on-gap needs --state (the checkpoint lives there)")
    _run_and_exit(args, _scan_request(args, state), fail_on_gap)


@main.command()
@click.argument("sources", nargs=-1, metavar="SOURCE...")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="A new or empty directory for the evidence bundle.",
)
@click.option(
    "--days", type=click.IntRange(1, 3650), default=30, show_default=True,
    help="The window: the last N days (the Compliance API keeps about 30).",
)
@click.option(
    "--verify", "verify_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Check the bundle in this directory against its manifest.json instead of sweeping.",
)
@_scan_options
@_report_options
@_compliance_api_options
@_handle_errors
def sweep(
    out_dir: Path | None, days: int, verify_dir: Path | None, **options: Any
) -> None:
    """Full scan of the last --days into an evidence bundle: the reports and manifest.json
    (version, policies and their SHA-256, parameters, window, counts, times, and the
    SHA-256 of every file). `chatdlp sweep --verify DIR` checks it: exit 0 when every
    file matches, 3 naming each file changed, missing or unexpected.

    \b
    Examples:
      chatdlp sweep compliance://ws-123 --days 30 --out audit-2026-01/
      chatdlp sweep exports/ --days 30 --out audit-2026-01/ --format csv,html,sarif
      chatdlp sweep --verify audit-2026-01/
    """
    import time as _time

    from chatdlp.records import TimeWindow
    from chatdlp.report.bundle import require_empty, verify_bundle, write_manifest
    from chatdlp.report.findings import iso_time

    if verify_dir is not None:
        if options["sources"] or out_dir is not None:
            raise ConfigError("sweep --verify DIR takes no SOURCE nor --out")
        result = verify_bundle(verify_dir)
        for name in result.changed:
            click.echo(f"CHANGED     {name}", err=True)
        for name in result.missing:
            click.echo(f"MISSING     {name}", err=True)
        for name in result.unexpected:
            click.echo(f"UNEXPECTED  {name} (not in the manifest)", err=True)
        if not result.passed:
            from chatdlp.errors import BundleMismatch

            bad = len(result.changed) + len(result.missing) + len(result.unexpected)
            raise BundleMismatch(f"{verify_dir}: {bad} file(s) do not match manifest.json")
        click.echo(f"ok: {len(result.ok)} file(s) of {verify_dir} match manifest.json")
        return
    if not options["sources"]:
        raise ConfigError("sweep needs SOURCE... (or --verify DIR)")
    if out_dir is None:
        raise ConfigError("sweep needs --out DIR (a new or empty directory)")
    if options["since"] is not None:
        raise ConfigError("sweep takes --days, not --since")
    require_empty(out_dir)
    now = _time.time()
    start = now - days * 86400
    options["since"] = str(int(start))  # compliance:// asks the API for the window
    if not options["formats"]:
        options["formats"] = ("csv,html,md,sarif,analytics",)
    args = _ScanArgs(out_dir=out_dir, **options)
    request = _scan_request(args, window=TimeWindow(start, None), command="sweep")
    window = (iso_time(start) or "", iso_time(now) or "")
    parameters = {
        "command": "sweep",
        "sources": list(args.sources),
        "days": days,
        "policies": list(args.policies) or ["(every shipped pack)"],
        "formats": [f for value in args.formats for f in value.split(",") if f],
        "fail_on": args.fail_on,
        "reveal": list(args.reveal),
        "min_group_size": args.min_group_size,
        "link_template": args.link_template,
        "users": list(args.users),
        "sinks": [spec.label for spec in request.sinks],
    }

    def seal(outcome: Any) -> None:
        digest = write_manifest(out_dir, outcome, parameters, window)
        click.echo(f"chatdlp sweep: evidence bundle {out_dir}, manifest.json sha256 {digest}",
                   err=True)

    _run_and_exit(args, request, after_reports=seal)


@main.command()
@click.option(
    "--state", "state", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The state database of earlier runs.",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the reports.",
)
@_report_options
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="The packs the findings came from (rule descriptions in SARIF, HTML).")
@click.option("--since", metavar="WHEN", default=None,
              help="Only findings in messages from WHEN on (24h, 7d, an ISO date, Unix seconds).")
@click.option("--until", metavar="WHEN", default=None, help="Only findings before WHEN.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(["open", "resolved", "suppressed"]),
    help="Only these triage statuses (repeatable). Default: open and resolved.",
)
@_handle_errors
def report(
    state: Path, out_dir: Path, formats: tuple[str, ...], link_template: str,
    min_group_size: int, policies: tuple[str, ...], since: str | None, until: str | None,
    statuses: tuple[str, ...],
) -> None:
    """Rebuild findings.jsonl and the --format reports from the findings stored in --state
    (all of them, or a time window), without scanning.

    \b
    Examples:
      chatdlp report --state state.db --out reports/ --format html,csv
      chatdlp report --state state.db --out last-week/ --since 7d --format md
    """
    from chatdlp.pipeline.run import RebuildRequest, rebuild_reports
    from chatdlp.report.model import LinkTemplate, ReportOptions
    from chatdlp.sources.compliance_api import parse_since

    request = RebuildRequest(
        state_path=state,
        out_dir=out_dir,
        formats=formats,
        report_options=ReportOptions(LinkTemplate(link_template), min_group_size),
        policies=policies,
        since=float(parse_since(since)) if since else None,
        until=float(parse_since(until)) if until else None,
        statuses=statuses or ("open", "resolved"),
    )
    stats = rebuild_reports(request)
    click.echo(
        f"chatdlp report: {stats.findings:,} findings in {stats.messages:,} messages of "
        f"{stats.conversations:,} conversations -> {out_dir}",
        err=True,
    )


@main.group()
def findings() -> None:
    """Triage stored findings: list, suppress, resolve, reopen; suppressions as a file."""


_STATE_OPTION = click.option(
    "--state", "state", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The state database.",
)
_REASON_OPTION = click.option(
    "--reason", required=True, help="Why (stored with the time and your OS user name)."
)


@findings.command("list")
@_STATE_OPTION
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "resolved", "suppressed"]))
@click.option("--severity", "severities", multiple=True,
              type=click.Choice([s.value for s in Severity]))
@click.option("--rule", "rules", multiple=True, metavar="RULE_ID")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@_handle_errors
def findings_list(
    state: Path, statuses: tuple[str, ...], severities: tuple[str, ...], rules: tuple[str, ...],
    limit: int,
) -> None:
    """A table of stored findings (redacted excerpts only), filtered."""
    from rich.console import Console
    from rich.table import Table

    from chatdlp.state import FindingsStore

    table = Table(title=f"findings in {state}", show_lines=False)
    for column in ("id", "status", "severity", "entity", "rule", "conversation", "time",
                   "fingerprint", "excerpt"):
        table.add_column(column, overflow="fold")
    shown = total = 0
    with FindingsStore.open(state, create=False) as store:
        for stored in store.findings(statuses=statuses, severities=severities, rules=rules):
            total += 1
            if shown >= limit:
                continue
            shown += 1
            f = stored.finding
            table.add_row(
                f.id, stored.status, f.severity.value, f.entity_type, f.rule_id,
                f.conversation_id, f.created_at or "", f.fingerprint[:16], f.excerpt,
            )
    console = Console(width=200, soft_wrap=False)
    console.print(table)
    console.print(f"{shown} of {total} finding(s) shown")


def _triage_targets(store: Any, targets: tuple[str, ...]) -> list[tuple[str, str, list[str]]]:
    return [(target, *store.resolve_target(target)) for target in targets]


@findings.command("suppress")
@click.argument("targets", nargs=-1, required=True, metavar="ID|FINGERPRINT...")
@_STATE_OPTION
@_REASON_OPTION
@_handle_errors
def findings_suppress(targets: tuple[str, ...], state: Path, reason: str) -> None:
    """Suppress the fingerprint of each finding (or each fingerprint given): its findings,
    now and in later runs, are not reported (they are counted as suppressed)."""
    from chatdlp.state import FindingsStore, os_user

    with FindingsStore.open(state, create=False) as store:
        for target, kind, ids in _triage_targets(store, targets):
            if kind == "id":
                fingerprint, entity = store.fingerprint_of(ids[0])
            else:
                fingerprint, entity = target, None
            changed = store.suppress(fingerprint, reason, os_user(), entity)
            click.echo(f"suppressed fingerprint {fingerprint[:16]}... ({changed} finding(s))")


def _set_status(targets: tuple[str, ...], state: Path, reason: str, status: str) -> None:
    from chatdlp.state import FindingsStore, os_user

    with FindingsStore.open(state, create=False) as store:
        for target, _kind, ids in _triage_targets(store, targets):
            changed = store.set_status(ids, status, target, reason, os_user())
            click.echo(f"{'resolved' if status == 'resolved' else 'reopened'} {target}: "
                       f"{changed} finding(s)")


@findings.command("resolve")
@click.argument("targets", nargs=-1, required=True, metavar="ID|FINGERPRINT...")
@_STATE_OPTION
@_REASON_OPTION
@_handle_errors
def findings_resolve(targets: tuple[str, ...], state: Path, reason: str) -> None:
    """Mark findings resolved (by id, or every finding of a fingerprint)."""
    _set_status(targets, state, reason, "resolved")


@findings.command("reopen")
@click.argument("targets", nargs=-1, required=True, metavar="ID|FINGERPRINT...")
@_STATE_OPTION
@_REASON_OPTION
@_handle_errors
def findings_reopen(targets: tuple[str, ...], state: Path, reason: str) -> None:
    """Reopen findings; reopening a suppressed one lifts its fingerprint's suppression
    (its findings appear in the next run's findings.jsonl)."""
    _set_status(targets, state, reason, "open")


@findings.command("export-suppressions")
@_STATE_OPTION
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def findings_export(state: Path, out_file: Path) -> None:
    """Write the suppressions as a versioned YAML file, for review in git."""
    from chatdlp.state import FindingsStore
    from chatdlp.state.suppressions_file import dump_suppressions

    with FindingsStore.open(state, create=False) as store:
        items = store.suppressions()
    dump_suppressions(items, out_file)
    click.echo(f"{len(items)} suppression(s) -> {out_file}")


@findings.command("import-suppressions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_STATE_OPTION
@_handle_errors
def findings_import(file: Path, state: Path) -> None:
    """Add (or update) the suppressions of FILE in the state."""
    from chatdlp.state import FindingsStore, os_user, utc_now_iso
    from chatdlp.state.suppressions_file import load_suppressions

    items = load_suppressions(file, os_user(), utc_now_iso())
    with FindingsStore.open(state) as store:
        count = store.import_suppressions(items)
    click.echo(f"{count} suppression(s) imported from {file}")


@main.command()
@click.argument("source", metavar="SOURCE")
@click.option(
    "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The JSONL archive to write (replaced atomically, mode 0600).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print progress nor warnings.")
@_compliance_api_options
@_handle_errors
def fetch(
    source: str,
    out_file: Path,
    quiet: bool,
    since: str | None,
    users: tuple[str, ...],
    page_size: int,
    max_requests_per_minute: int,
) -> None:
    """Archive the conversations of SOURCE (compliance://WORKSPACE_ID) into --out.

    One Compliance API Conversation per line; a conversation that came back
    while paging is written once, with all its messages. `chatdlp scan FILE`
    reads the archive back.

    \b
    Examples:
      chatdlp fetch compliance://ws-123 --since 24h --out archive/2025-06-01.jsonl
    """
    from chatdlp.sources import open_source
    from chatdlp.sources.compliance_api.archive import run_fetch

    if not source.startswith("compliance://"):
        raise ConfigError(f"{source}: fetch reads compliance://WORKSPACE_ID sources only")
    api = _compliance_options(since, users, page_size, max_requests_per_minute, quiet)
    opened = open_source(source, compliance=api)
    records = getattr(opened, "records", None)
    if records is None:  # pragma: no cover - every compliance:// source has records()
        raise ConfigError(f"{source}: cannot fetch from this source")
    diagnostics = Diagnostics(listener=_warning_printer(quiet))
    stats = run_fetch(opened, out_file, diagnostics)  # type: ignore[arg-type]
    click.echo(
        f"chatdlp fetch: {stats.records:,} conversations read, {stats.written:,} written "
        f"({stats.merged:,} merged after coming back), {diagnostics.skipped_total:,} skipped "
        f"-> {out_file}",
        err=True,
    )


@main.group()
def policy() -> None:
    """List, validate, test and explain policy packs."""


@policy.command("list")
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="Packs or files to list (default: every shipped pack).")
@_handle_errors
def policy_list(policies: tuple[str, ...]) -> None:
    """The packs and their rules, with entity, category, severity and threshold."""
    from chatdlp.policy import load_policies, shipped_pack_names

    refs = list(policies) or shipped_pack_names(include_examples=True)
    policy_set = load_policies(refs)
    for pack in policy_set.policies:
        click.echo(f"{pack.name}  (version {pack.version}, {len(pack.rules)} rules, {pack.origin})")
        if pack.description:
            click.echo(f"  {pack.description}")
        for rule in pack.rules:
            click.echo(
                f"  {rule.id:<34} {rule.entity:<28} {rule.category.value:<12} "
                f"{rule.severity.value:<8} min {rule.min_score:.2f}"
            )
    defaults = ", ".join(shipped_pack_names())
    click.echo(f"\nApplied when no --policy is given: {defaults}")


@policy.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@_handle_errors
def policy_validate(paths: tuple[str, ...]) -> None:
    """Check policy files; exit 0 when all are valid, 2 with the problems otherwise."""
    from chatdlp.errors import PolicyError
    from chatdlp.policy import load_policies

    failed = 0
    for path in paths:
        try:
            policy_set = load_policies([path])
        except PolicyError as exc:
            failed += 1
            click.echo(f"INVALID {exc}", err=True)
            continue
        rules = sum(len(p.rules) for p in policy_set.policies)
        click.echo(f"ok      {path} ({rules} rules with what it extends)")
    if failed:
        sys.exit(ExitCode.USAGE)


@policy.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@_handle_errors
def policy_test(paths: tuple[str, ...]) -> None:
    """Run every rule's examples (default: every shipped pack); exit 1 on a failure."""
    from chatdlp.detect.examples import run_examples
    from chatdlp.policy import shipped_pack_names

    detector = _build_detector(list(paths) or shipped_pack_names(include_examples=True))
    results = run_examples(detector)
    failures = [r for r in results if not r.passed]
    for result in failures:
        want = "a finding" if result.expected else "no finding"
        got = ", ".join(result.fired) or "nothing"
        click.echo(f"FAIL {result.rule.id}: expected {want} in example:", err=True)
        click.echo(f"       {result.text!r}", err=True)
        click.echo(f"     rules that reported: {got}", err=True)
    rules = len({r.rule.id for r in results})
    click.echo(f"{len(results) - len(failures)} passed, {len(failures)} failed "
               f"({len(results)} examples of {rules} rules)")
    if failures:
        sys.exit(ExitCode.FINDINGS)


@policy.command("explain")
@click.argument("text")
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH")
@click.option("--role", default="user", show_default=True,
              type=click.Choice(["user", "assistant", "system", "tool", "title"]))
@click.option("--all", "show_all", is_flag=True, help="Also list the rules that found nothing.")
@_handle_errors
def policy_explain(text: str, policies: tuple[str, ...], role: str, show_all: bool) -> None:
    """Which rules fire on TEXT, the score before and after context, and why others do not.

    Values are shown masked, by position.
    """
    from chatdlp.report.redact import redact_excerpt

    detector = _build_detector(list(policies))
    judgements, silent = detector.explain(text, role)
    spans = [(j.start, j.end, j.rule.entity) for j in judgements]
    click.echo(f"text: {redact_excerpt(text, spans, 0, 0, window=len(text))}")
    if not judgements:
        click.echo("no rule found anything")
    for j in judgements:
        verdict = "REPORTED" if j.reported else "not reported"
        context = f" +{j.score - j.raw_score:.2f} context" if j.context_word else ""
        click.echo(
            f"{verdict:<12} {j.rule.id} [{j.rule.entity}] chars {j.start}-{j.end}: "
            f"score {j.raw_score:.2f}{context} -> {j.score:.2f} (min {j.rule.min_score:.2f}, "
            f"{j.rule.severity.value})" + (f"; {j.reason}" if j.reason else "")
        )
    if show_all:
        for rule in silent:
            click.echo(f"{'no match':<12} {rule.id} [{rule.entity}]")


def _build_detector(policies: list[str], include_test_values: bool = False) -> Any:
    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.policy import load_policies

    policy_set = load_policies(policies)
    profile = NlpProfile.load()
    return Detector(policy_set, load_pipeline(profile), profile, include_test_values=include_test_values)


@main.command("eval")
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="Policy pack name or YAML file (repeatable). Default: every shipped pack.")
@click.option("--baseline", type=click.Choice(["presidio"]), default=None,
              help="Also run vanilla Presidio on the same texts and print it side by side.")
@click.option("--include-test-values", is_flag=True,
              help="Report documentation and test values too (555-01xx, example.com, test cards ...).")
@click.option("--errors", "show_errors", type=click.IntRange(min=0), default=0, metavar="N",
              help="List up to N misses and false alarms of chatdlp, values masked.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
@_handle_errors
def eval_command(
    corpus: Path, policies: tuple[str, ...], baseline: str | None, include_test_values: bool,
    show_errors: int, markdown: bool,
) -> None:
    """Precision, recall and F2 per label on a labeled CORPUS.jsonl (overlap matching).

    Prints counts only, never span text. Labels map to entities as documented in
    chatdlp.evaluate (LABEL_ENTITIES).
    """
    from chatdlp import evaluate as ev

    records = ev.load_corpus(corpus)
    detector = _build_detector(list(policies), include_test_values=include_test_values)
    systems: dict[str, ev.System] = {"chatdlp": ev.chatdlp_system(detector)}
    if baseline == "presidio":
        from chatdlp.detect.baseline import PresidioBaseline

        systems["presidio"] = ev.presidio_system(
            PresidioBaseline.as_it_comes(detector.profile),
            ev.entity_severities(detector.policies),
        )
    scores, predictions = ev.evaluate(records, systems)
    click.echo(f"{corpus.name}: {len(records)} texts, "
               f"{sum(len(r.spans) for r in records)} labeled spans")
    click.echo(ev.format_table(scores, markdown=markdown))
    if show_errors:
        click.echo("")
        for line in ev.masked_errors(records, predictions["chatdlp"], limit=show_errors):
            click.echo(line)
