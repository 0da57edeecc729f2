"""``chatdlp audit verify``: check the hash chain of an audit log of API calls."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def audit() -> None:
    """Audit logs of chatdlp's own Compliance API calls (one hash-chained JSON line each)."""


@audit.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also check the log's head as each apply run of this plan recorded it "
              "(finds a removed or rewritten end of the log).")
def audit_verify(file: Path, plan_file: Path | None) -> None:
    """Exit 0 when every line follows the one before it; 3 with the line number where the
    chain breaks (a line edited, inserted or removed)."""
    from chatdlp.remediate.audit import verify_audit

    anchors: dict[int, str] = {}
    if plan_file is not None:
        from chatdlp.remediate.model import load_plan

        for run in load_plan(plan_file).runs:
            same_log = run.audit_log and Path(run.audit_log).resolve() == file.resolve()
            if same_log and run.audit_lines and run.audit_head:
                anchors[run.audit_lines] = run.audit_head
    lines, head = verify_audit(file, anchors)
    pinned = f", {len(anchors)} recorded head(s) found" if anchors else ""
    click.echo(f"{file}: {lines} line(s), hash chain intact{pinned}; head sha256 {head}")
