"""``chatdlp eval``: precision and recall per label on a labeled corpus."""

from __future__ import annotations

from pathlib import Path

import click

from chatdlp.cli.options import build_detector


@click.command("eval")
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="Policy pack name or YAML file (repeatable). Default: every shipped pack.")
@click.option("--baseline", type=click.Choice(["presidio"], case_sensitive=False), default=None,
              help="Also run vanilla Presidio on the same texts and print it side by side.")
@click.option("--include-test-values", is_flag=True,
              help="Report documentation and test values too (555-01xx, example.com, test cards ...).")
@click.option("--errors", "show_errors", type=click.IntRange(min=0), default=0, metavar="N",
              help="List up to N misses and false alarms of chatdlp, values masked.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
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
    detector = build_detector(policies, include_test_values=include_test_values)
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
