"""``chatdlp findings``: triage of stored findings."""

from __future__ import annotations

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


@findings.command("list")
@_STATE_OPTION
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "resolved", "suppressed"], case_sensitive=False))
@click.option("--severity", "severities", multiple=True,
              type=click.Choice([s.value for s in Severity], case_sensitive=False))
@click.option("--rule", "rules", multiple=True, metavar="RULE_ID")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
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
def findings_import(file: Path, state: Path) -> None:
    """Add (or update) the suppressions of FILE in the state."""
    from chatdlp.state import FindingsStore, os_user
    from chatdlp.state.suppressions_file import load_suppressions
    from chatdlp.timefmt import utc_now_iso

    items = load_suppressions(file, os_user(), utc_now_iso())
    with FindingsStore.open(state) as store:
        count = store.import_suppressions(items)
    click.echo(f"{count} suppression(s) imported from {file}")
