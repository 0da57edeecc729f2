"""The command line: parse, call the library, print. Errors become exit codes here only."""

from __future__ import annotations

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


def _engine_options(func: F) -> F:
    """Where detection runs: --workers, --engine, --ray-address (see _runner)."""
    options = [
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
@_engine_options
@click.option("--strict", is_flag=True, help="Exit 3 when any record was skipped as bad input.")
@click.option(
    "--quiet", "-q", is_flag=True, help="Do not print a warning per bad record, nor progress."
)
@_compliance_api_options
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
    workers: int,
    engine: str,
    ray_address: str | None,
    strict: bool,
    quiet: bool,
    since: str | None,
    users: tuple[str, ...],
    page_size: int,
    max_requests_per_minute: int,
) -> None:
    """Scan SOURCE... and write findings.jsonl into --out.

    SOURCE is a ChatGPT export (.zip or conversations.json), a saved Compliance
    API list page (.json), JSONL (Compliance API conversations or flat messages
    {"conversation_id","message_id","role","text",...}), a directory of those,
    or - for JSONL on stdin. The format is sniffed from the content.
    compliance://WORKSPACE_ID reads the live Compliance API (key in
    CHATDLP_COMPLIANCE_API_KEY or CHATDLP_COMPLIANCE_API_KEY_FILE).

    \b
    Examples:
      chatdlp scan export.zip
      chatdlp scan archive/ --policy pii --policy ./acme.yaml --out reports/
      cat messages.jsonl | chatdlp scan - --fail-on medium
      chatdlp scan export.zip --format csv,html,md,sarif,analytics
      chatdlp scan compliance://ws-123 --since 24h
      chatdlp scan archive/ --engine ray --ray-address head.example:6379 --workers 16
    """
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
    api = _compliance_options(since, users, page_size, max_requests_per_minute, quiet)
    opened = [open_source(spec, compliance=api) for spec in sources]
    key = FingerprintKey.from_environment()
    detector = _build_detector(list(policies))
    runner = _runner(detector, list(policies), workers, engine, ray_address)
    prepare_out_dir(out_dir)
    diagnostics = Diagnostics(listener=_warning_printer(quiet))
    sinks = [JsonlFindingsWriter(out_dir)]
    stats = ScanStats()
    collector = AnalyticsCollector()
    failure: ChatdlpError | None = None
    try:
        run_scan(opened, runner, key, sinks, diagnostics, stats, [collector], reveal_policy)
    except ChatdlpError as exc:
        failure = exc  # the reports below still show what was found, marked incomplete
    try:
        if formatters:
            run = run_info(stats, diagnostics, detector.policies, collector.window)
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
    from chatdlp.archive import run_fetch
    from chatdlp.sources import open_source

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


def _runner(
    detector: Any, policies: list[str], workers: int, engine: str = "local",
    ray_address: str | None = None,
) -> Any:
    """Detection here (one worker), on a pool of processes, or on Ray actors.

    Workers and actors build the same detector from a spec: the policy
    references (files as absolute paths) and the NLP profile's name.
    """
    from chatdlp.engines import DetectorSpec, LocalRunner, ProcessPoolRunner

    if ray_address is not None and engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    refs = tuple(str(Path(p).resolve()) if Path(p).exists() else p for p in policies)
    spec = DetectorSpec(policies=refs, profile=detector.profile.name)
    if engine == "ray":
        from chatdlp.engines_ray import RayRunner

        return RayRunner(spec, workers, address=ray_address)
    if workers <= 1:
        return LocalRunner(detector)
    return ProcessPoolRunner(spec, workers, local=detector)


def _build_detector(policies: list[str]) -> Any:
    from chatdlp.detect import Detector, NlpProfile, load_pipeline
    from chatdlp.policy import load_policies

    policy_set = load_policies(policies)
    profile = NlpProfile.load()
    return Detector(policy_set, load_pipeline(profile), profile)
