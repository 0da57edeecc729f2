"""Option bundles shared by several commands, and what they parse into."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from chatdlp.records import Severity

if TYPE_CHECKING:
    from chatdlp.pipeline.plan import ScanPlan
    from chatdlp.records import TimeWindow
    from chatdlp.sources.compliance_api import ComplianceOptions

F = TypeVar("F", bound=Callable[..., Any])
MAX_PRINTED_WARNINGS = 50


def warning_printer(quiet: bool) -> Callable[[str], None]:
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


def progress_printer(quiet: bool) -> Callable[[str], None]:
    def emit(message: str) -> None:
        if not quiet:
            click.echo(f"chatdlp: {message}", err=True)

    return emit


def compliance_api_options(func: F) -> F:
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
        click.option(
            "--api", type=click.Choice(["logs", "conversations"], case_sensitive=False), default="logs",
            show_default=True,
            help="compliance:// only: read the chats from the Logs Platform (CONVERSATION_MESSAGE events) "
            "or from the stateful /conversations path (deprecated by OpenAI).",
        ),
        click.option(
            "--event-types", metavar="LIST", default=None,
            help="compliance:// with --api logs: the log event types to read, comma-separated "
            "(CONVERSATION_MESSAGE, CODEX_LOG); default CONVERSATION_MESSAGE.",
        ),
        click.option(
            "--audit-log", "audit_log", type=click.Path(dir_okay=False, path_type=Path), default=None,
            help="compliance:// only: append one hash-chained JSON line per API request to FILE "
            "(time, method, path, status, bytes, duration, retries; never the key or any text).",
        ),
        click.option(
            "--include", metavar="LIST", default=None,
            help="compliance:// only: also read files, gpts, projects, memories, canvases, automations, "
            "recordings, codex (comma-separated, or all).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def compliance_options(
    since: str | None, users: tuple[str, ...], page_size: int, max_rpm: int, quiet: bool,
    api: str = "logs", event_types: str | None = None, include: str | None = None,
) -> ComplianceOptions:
    from chatdlp.sources.compliance_api import ComplianceOptions

    return ComplianceOptions(
        since=since, users=users, page_size=page_size, max_requests_per_minute=max_rpm,
        progress=progress_printer(quiet), api=api.lower(), event_types=event_types, include=include,
    )


def report_options(func: F) -> F:
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


def scan_options(func: F) -> F:
    """Options shared by scan and sweep."""
    options = [
        click.option(
            "--policy", "policies", multiple=True, metavar="NAME|PATH",
            help="Policy pack name or YAML file (repeatable). Default: every shipped pack.",
        ),
        click.option(
            "--fail-on", type=click.Choice([s.value for s in Severity], case_sensitive=False),
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
            "--engine", type=click.Choice(["local", "ray"], case_sensitive=False), default="local",
            show_default=True,
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
            "--edm", "edm", multiple=True, metavar="INDEX",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="Exact data match against an index of the organisation's records "
            "(`chatdlp edm build`; repeatable).",
        ),
        click.option(
            "--baseline", "baseline", type=click.Path(dir_okay=False, exists=True, path_type=Path),
            default=None,
            help="A baseline file (`chatdlp findings baseline`): findings of its fingerprints are not "
            "reported (counted in the summary) until their entry expires. No --state needed.",
        ),
        click.option(
            "--strict", is_flag=True,
            help="Exit 3 when any record was skipped as bad input, or a pattern hit the regex timeout.",
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
class ScanArgs:
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
    edm: tuple[Path, ...]
    baseline: Path | None
    strict: bool
    quiet: bool
    since: str | None
    users: tuple[str, ...]
    page_size: int
    max_requests_per_minute: int
    api: str
    event_types: str | None
    include: str | None
    audit_log: Path | None


@contextlib.contextmanager
def audit_hook(path: Path | None) -> Iterator[Callable[[Any], Any] | None]:
    """While open: a client hook that writes every API request to the audit log at ``path``
    (``chatdlp audit verify`` checks it); None without a path."""
    if path is None:
        yield None
        return
    from chatdlp.remediate.audit import AuditTrail, attach_audit, new_run_id
    from chatdlp.sources.compliance_api.settings import base_url_from_environment

    with AuditTrail(path, new_run_id(), base_url_from_environment(os.environ)) as trail:
        yield functools.partial(attach_audit, trail=trail)


def scan_plan(
    args: ScanArgs, state: Path | None = None, window: TimeWindow | None = None,
    command: str = "scan", fail_on_gap: bool = False,
) -> ScanPlan:
    from chatdlp.pipeline.plan import ScanPlan
    from chatdlp.report.model import LinkTemplate, ReportOptions
    from chatdlp.report.redact import RevealPolicy
    from chatdlp.report.sinks import parse_sink

    return ScanPlan(
        sources=args.sources,
        out_dir=args.out_dir,
        formats=args.formats,
        report_options=ReportOptions(LinkTemplate(args.link_template), args.min_group_size,
                                     str(state) if state is not None else None),
        reveal=RevealPolicy.of(name for value in args.reveal for name in value.split(",")),
        compliance=compliance_options(
            args.since, args.users, args.page_size, args.max_requests_per_minute, args.quiet,
            args.api, args.event_types, args.include,
        ),
        state_path=state,
        sinks=tuple(parse_sink(value) for value in args.sinks),
        window=window,
        command=command,
        policies=args.policies,
        include_test_values=args.include_test_values,
        edm=args.edm,
        workers=args.workers,
        engine=args.engine,
        ray_address=args.ray_address,
        fail_on=Severity(args.fail_on),
        strict=args.strict,
        fail_on_gap=fail_on_gap,
        baseline=baseline_fingerprints(args.baseline, args.quiet),
    )


def baseline_fingerprints(path: Path | None, quiet: bool) -> frozenset[str]:
    """The fingerprints of the baseline's entries that have not expired (expired ones are named)."""
    if path is None:
        return frozenset()
    import datetime as dt

    from chatdlp.report.baseline import load_baseline

    today = dt.datetime.now(dt.timezone.utc).date()
    entries = load_baseline(path)
    expired = [e for e in entries if not e.active(today)]
    if expired and not quiet:
        click.echo(f"chatdlp: warning: {path}: {len(expired)} of {len(entries)} baseline entries have "
                   f"expired (first: {expired[0].fingerprint[:16]}..., {expired[0].expires}); their "
                   "findings are reported again", err=True)
    return frozenset(e.fingerprint for e in entries if e.active(today))


def build_detector(policies: tuple[str, ...], include_test_values: bool = False) -> Any:
    from chatdlp.detect.backends import build_detector as build

    return build(policies, include_test_values)


def parse_when_option(option: str, value: str | None) -> float | None:
    """``--since``/``--until WHEN`` of ``chatdlp report``: a duration, an ISO date, Unix seconds."""
    from chatdlp.errors import ConfigError
    from chatdlp.timefmt import parse_when

    if not value:
        return None
    when = parse_when(value)
    if when is None:
        raise ConfigError(
            f"{option} {value!r}: expected a duration like 24h or 7d, an ISO date or date-time, "
            "or Unix seconds"
        )
    return float(when)
