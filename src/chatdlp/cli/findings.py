"""``chatdlp findings``: triage of stored findings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from chatdlp.records import Severity


@click.group()
def findings() -> None:
    """Triage stored findings: list, suppress, resolve, reopen; suppressions as a file."""


_STATE_OPTION = click.option(
    "--state", "state", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The state database.",
)
_REASON_OPTION = click.option(
    "--reason", required=True, help="Why (stored with the time and your OS user name)."
)


PIPED_WIDTH = 200
LIST_COLUMNS = ("id", "status", "severity", "entity_type", "rule_id", "conversation_id",
                "created_at", "fingerprint", "excerpt")


@findings.command("list")
@_STATE_OPTION
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "resolved", "suppressed", "remediated"], case_sensitive=False))
@click.option("--severity", "severities", multiple=True,
              type=click.Choice([s.value for s in Severity], case_sensitive=False))
@click.option("--rule", "rules", multiple=True, metavar="RULE_ID")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"], case_sensitive=False),
              default="table", show_default=True,
              help="table: for reading (fingerprints shortened; any unique prefix is accepted); "
              "json: one finding per line, as in findings.jsonl, plus status; csv: the listed columns.")
def findings_list(
    state: Path, statuses: tuple[str, ...], severities: tuple[str, ...], rules: tuple[str, ...],
    limit: int, output_format: str,
) -> None:
    """Stored findings (redacted excerpts only), filtered.

    \b
    Examples:
      chatdlp findings list --state state.db --status open --severity critical
      chatdlp findings list --state state.db --format json | jq -r .fingerprint
    """
    from chatdlp.state import FindingsStore

    shown = total = 0
    rows: list[dict[str, object]] = []
    with FindingsStore.open(state, create=False) as store:
        for stored in store.findings(statuses=statuses, severities=severities, rules=rules):
            total += 1
            if shown >= limit:
                continue
            shown += 1
            rows.append({**stored.finding.to_dict(), "status": stored.status})
    if output_format == "json":
        import json

        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif output_format == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=LIST_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        _print_table(state, rows)
        click.echo(f"{shown} of {total} finding{'' if total == 1 else 's'} shown", err=True)


def _print_table(state: Path, rows: list[dict[str, object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"findings in {state}", show_lines=False)
    for column in ("id", "status", "severity", "entity", "rule", "conversation", "time",
                   "fingerprint", "excerpt"):
        whole = {"id": 24, "fingerprint": 16}.get(column)  # copied into triage commands: never folded
        table.add_column(column, overflow="fold", no_wrap=bool(whole), min_width=whole)
    for row in rows:
        values = [str(row.get(c) or "") for c in LIST_COLUMNS]
        values[7] = values[7][:16]
        table.add_row(*values)
    console = Console(soft_wrap=False)  # the terminal's width, or COLUMNS
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH  # a pipe or file has no width: do not squeeze into 80
    console.print(table)


def _triage_targets(store: Any, targets: tuple[str, ...]) -> list[tuple[str, str, list[str]]]:
    expanded = [store.expand_fingerprint(target) for target in targets]
    return [(target, *store.resolve_target(target)) for target in expanded]


@findings.command("suppress")
@click.argument("targets", nargs=-1, required=True, metavar="ID|FINGERPRINT...")
@_STATE_OPTION
@_REASON_OPTION
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
            earlier = [step for step in store.history(fingerprint) if step[1] == "suppress"]
            changed = store.suppress(fingerprint, reason, os_user(), entity)
            again = f"; {len(earlier)} earlier reason(s) kept in its history" if earlier else ""
            click.echo(f"suppressed fingerprint {fingerprint[:16]}... "
                       f"({changed} finding{'' if changed == 1 else 's'}{again})")


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
def findings_resolve(targets: tuple[str, ...], state: Path, reason: str) -> None:
    """Mark findings resolved (by id, or every finding of a fingerprint)."""
    _set_status(targets, state, reason, "resolved")


@findings.command("reopen")
@click.argument("targets", nargs=-1, required=True, metavar="ID|FINGERPRINT...")
@_STATE_OPTION
@_REASON_OPTION
def findings_reopen(targets: tuple[str, ...], state: Path, reason: str) -> None:
    """Reopen findings; reopening a suppressed one lifts its fingerprint's suppression
    (its findings appear in the next run's findings.jsonl)."""
    _set_status(targets, state, reason, "open")


@findings.command("export-suppressions")
@_STATE_OPTION
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
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
@click.option("--create", is_flag=True,
              help="Create --state when it does not exist (to suppress before the first scan).")
def findings_import(file: Path, state: Path, create: bool) -> None:
    """Add (or update) the suppressions of FILE in the state; the file is checked first
    (version, keys, 64-character fingerprints, a reason each). An earlier reason of a
    fingerprint stays in its history (`chatdlp findings history`)."""
    from chatdlp.state import FindingsStore, os_user
    from chatdlp.state.suppressions_file import load_suppressions
    from chatdlp.timefmt import utc_now_iso

    items = load_suppressions(file, os_user(), utc_now_iso())
    with FindingsStore.open(state, create=create) as store:
        count = store.import_suppressions(items)
    click.echo(f"{count} suppression(s) imported from {file}")


@findings.command("history")
@click.argument("target", metavar="ID|FINGERPRINT")
@_STATE_OPTION
def findings_history(target: str, state: Path) -> None:
    """Every triage step on a finding or fingerprint: when, what, who and why (oldest first);
    a suppression's earlier reasons stay here when it is suppressed again.

    \b
    Example:
      chatdlp findings history 3f2a9c01d4e5b6a7 --state state.db
    """
    from chatdlp.state import FindingsStore

    with FindingsStore.open(state, create=False) as store:
        target = store.expand_fingerprint(target)
        kind, ids = store.resolve_target(target)
        targets = [target]
        if kind == "id":
            targets.append(store.fingerprint_of(ids[0])[0])
        steps = sorted(step for t in targets for step in store.history(t))
    if not steps:
        click.echo(f"no triage steps on {target}")
    for at, action, by, reason in steps:
        click.echo(f"{at}  {action:<20} {by:<12} {reason}")


@findings.command("baseline")
@click.argument("findings_file", metavar="FINDINGS.jsonl",
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The baseline file; entries already in it are kept (with their reasons).")
@click.option("--reason", required=True, help="Why these findings may stay (stored per entry).")
@click.option("--expires", metavar="DATE", default=None,
              help="From this day on (YYYY-MM-DD) the entries hide nothing: review them before.")
def findings_baseline(findings_file: Path, out_file: Path, reason: str, expires: str | None) -> None:
    """Write a baseline from a findings.jsonl: one entry per fingerprint, with a reason and an
    optional expiry. `chatdlp scan --baseline FILE` then reports only what is not in it,
    without --state.

    \b
    Example:
      chatdlp findings baseline chatdlp-out/findings.jsonl --out baseline.yaml \\
          --reason "known before the rollout" --expires 2027-01-31
    """
    import datetime as dt

    from chatdlp.errors import ConfigError
    from chatdlp.report.baseline import dump_baseline, entries_from_findings, load_baseline

    try:
        until = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        raise ConfigError(f"--expires {expires!r}: expected a date like 2027-01-31") from None
    kept = load_baseline(out_file) if out_file.exists() else []
    known = {entry.fingerprint for entry in kept}
    added = [e for e in entries_from_findings(findings_file, reason, until) if e.fingerprint not in known]
    dump_baseline([*kept, *added], out_file)
    click.echo(f"{len(added)} fingerprint{'' if len(added) == 1 else 's'} added to {out_file} "
               f"({len(kept) + len(added)} in all)")
