"""``chatdlp fetch``: archive compliance:// conversations into a JSONL file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from chatdlp.cli.options import audit_hook, compliance_api_options, compliance_options, warning_printer
from chatdlp.records import Diagnostics


@click.command()
@click.argument("source", metavar="SOURCE")
@click.option(
    "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The JSONL archive to write (replaced atomically, mode 0600).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print progress nor warnings.")
@compliance_api_options
def fetch(
    source: str,
    out_file: Path,
    quiet: bool,
    since: str | None,
    users: tuple[str, ...],
    page_size: int,
    max_requests_per_minute: int,
    api: str,
    event_types: str | None,
    include: str | None,
    audit_log: Path | None,
) -> None:
    """Archive the conversations of SOURCE (compliance://WORKSPACE_ID) into --out.

    One Compliance API Conversation per line; a conversation that came back
    while paging is written once, with all its messages. `chatdlp scan FILE`
    reads the archive back.

    \b
    Examples:
      chatdlp fetch compliance://ws-123 --since 24h --out archive/2025-06-01.jsonl
    """
    from chatdlp.sources.compliance_api.archive import open_for_fetch, run_fetch

    options = compliance_options(
        since, users, page_size, max_requests_per_minute, quiet, api, event_types, include
    )
    with audit_hook(audit_log) as hook:
        opened = open_for_fetch(source, dataclasses.replace(options, client_hook=hook))
        diagnostics = Diagnostics(listener=warning_printer(quiet))
        noun = "log events" if getattr(opened, "api_path", "") == "logs" else "conversations"
        stats = run_fetch(opened, out_file, diagnostics)
    click.echo(
        f"chatdlp fetch: {stats.records:,} {noun} read, {stats.written:,} written "
        f"({stats.merged:,} merged after coming back), {diagnostics.skipped_total:,} skipped "
        f"-> {out_file}",
        err=True,
    )
