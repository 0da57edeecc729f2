"""``chatdlp sweep``: an evidence bundle of the retention window, and ``--verify``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chatdlp.cli.options import (
    ScanArgs,
    compliance_api_options,
    report_options,
    scan_options,
    scan_plan,
)
from chatdlp.cli.scan import run_and_summarise
from chatdlp.errors import ConfigError

if TYPE_CHECKING:
    from chatdlp.pipeline.outcome import ScanOutcome


@click.command()
@click.argument("sources", nargs=-1, metavar="SOURCE...")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="A new or empty directory for the evidence bundle.",
)
@click.option(
    "--days", type=click.IntRange(1, 3650), default=30, show_default=True,
    help="The window: the last N days (log files and deleted or temporary chats are kept about 30 days, "
    "uploads 48 hours).",
)
@click.option(
    "--verify", "verify_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Check the bundle in this directory against its manifest.json instead of sweeping.",
)
@scan_options
@report_options
@compliance_api_options
def sweep(
    out_dir: Path | None, days: int, verify_dir: Path | None, **options: Any
) -> ScanOutcome | None:
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
    import time

    from chatdlp.errors import BundleMismatch
    from chatdlp.report.bundle import SweepWindow, require_empty, verify_bundle, write_manifest

    if verify_dir is not None:
        if options["sources"] or out_dir is not None:
            raise ConfigError("sweep --verify DIR takes no SOURCE nor --out")
        if not (verify_dir / "manifest.json").is_file() and not (verify_dir / "findings.jsonl").is_file():
            raise ConfigError(f"sweep --verify {verify_dir}: not an evidence bundle (no manifest.json; "
                              "`chatdlp sweep ... --out DIR` writes one)")
        result = verify_bundle(verify_dir)
        for name in result.changed:
            click.echo(f"CHANGED     {name}", err=True)
        for name in result.missing:
            click.echo(f"MISSING     {name}", err=True)
        for name in result.unexpected:
            click.echo(f"UNEXPECTED  {name} (not in the manifest)", err=True)
        if not result.passed:
            bad = len(result.changed) + len(result.missing) + len(result.unexpected)
            raise BundleMismatch(f"{verify_dir}: {bad} file(s) do not match manifest.json")
        click.echo(f"ok: {len(result.ok)} file(s) of {verify_dir} match manifest.json")
        return None
    if not options["sources"]:
        raise ConfigError("sweep needs SOURCE... (or --verify DIR)")
    if out_dir is None:
        raise ConfigError("sweep needs --out DIR (a new or empty directory)")
    if options["since"] is not None:
        raise ConfigError("sweep takes --days, not --since")
    require_empty(out_dir)
    window = SweepWindow.last_days(days, time.time())
    options["since"] = window.since
    if not options["formats"]:
        options["formats"] = ("csv,html,md,sarif,analytics",)
    args = ScanArgs(out_dir=out_dir, **options)
    plan = scan_plan(args, window=window.time_window(), command="sweep")
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
        "sinks": [spec.label for spec in plan.sinks],
    }

    def seal(outcome: ScanOutcome) -> None:
        digest = write_manifest(out_dir, outcome, parameters, window.iso())
        click.echo(f"chatdlp sweep: evidence bundle {out_dir}, manifest.json sha256 {digest}",
                   err=True)
        # on stdout too, as sha256sum prints it: for the audit record, or `sha256sum -c`
        click.echo(f"{digest}  {out_dir / 'manifest.json'}")

    return run_and_summarise(plan, args.quiet, after_reports=seal, audit_log=args.audit_log)
