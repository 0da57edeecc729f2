"""``chatdlp report``: the reports rebuilt from the state, without scanning."""

from __future__ import annotations

from pathlib import Path

import click

from chatdlp.cli.options import parse_when_option, report_options


@click.command()
@click.option(
    "--state", "state", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The state database of earlier runs.",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the reports.",
)
@report_options
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="The packs the findings came from (rule descriptions in SARIF, HTML).")
@click.option("--since", metavar="WHEN", default=None,
              help="Only findings in messages from WHEN on (24h, 7d, an ISO date, Unix seconds).")
@click.option("--until", metavar="WHEN", default=None, help="Only findings before WHEN.")
@click.option(
    "--status", "statuses", multiple=True,
    type=click.Choice(["open", "resolved", "suppressed", "remediated"], case_sensitive=False),
    help="Only these triage statuses (repeatable). Default: open and resolved.",
)
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
    from chatdlp.pipeline.plan import RebuildPlan
    from chatdlp.pipeline.rebuild import rebuild_reports
    from chatdlp.report.model import LinkTemplate, ReportOptions

    request = RebuildPlan(
        state_path=state,
        out_dir=out_dir,
        formats=formats,
        report_options=ReportOptions(LinkTemplate(link_template), min_group_size, str(state)),
        policies=policies,
        since=parse_when_option("--since", since),
        until=parse_when_option("--until", until),
        statuses=statuses or ("open", "resolved"),
    )
    stats = rebuild_reports(request)
    click.echo(
        f"chatdlp report: {stats.findings:,} findings in {stats.messages:,} messages of "
        f"{stats.conversations:,} conversations -> {out_dir}",
        err=True,
    )
