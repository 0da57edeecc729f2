"""``chatdlp policy``: list, validate, test and explain policy packs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chatdlp.cli.options import build_detector
from chatdlp.errors import ExitCode


@click.group()
def policy() -> None:
    """List, validate, test and explain policy packs."""


@policy.command("list")
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH",
              help="Packs or files to list (default: every shipped pack).")
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
def policy_validate(paths: tuple[str, ...]) -> ExitCode:
    """Check policy files; exit 0 when all are valid, 2 with the problems otherwise.

    Warnings (on stderr, exit code unchanged) name each pattern that runs on the
    backtracking regex engine and why, one that cannot be checked for catastrophic
    backtracking, and one that has no keywords for the prefilter (it runs on every text)."""
    from chatdlp.errors import PolicyError
    from chatdlp.policy import load_policies
    from chatdlp.policy.lint import rule_warnings

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
        for rule in policy_set.rules:
            for warning in rule_warnings(rule):
                click.echo(f"warning {warning}", err=True)
    return ExitCode.USAGE if failed else ExitCode.OK


@policy.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
def policy_test(paths: tuple[str, ...]) -> ExitCode:
    """Run every rule's examples (default: every shipped pack); exit 1 on a failure."""
    from chatdlp.detect.examples import run_examples
    from chatdlp.policy import shipped_pack_names

    detector = build_detector(tuple(paths) or tuple(shipped_pack_names(include_examples=True)))
    results = run_examples(detector)
    failures = [r for r in results if not r.passed]
    for result in failures:
        want = "a finding" if result.expected else "no finding"
        got = ", ".join(result.fired) or "nothing"
        click.echo(f"FAIL {result.rule.id}: expected {want} in example:", err=True)
        click.echo(f"       {result.text!r}", err=True)
        click.echo(f"     rules that reported: {got}", err=True)
        click.echo(f"     why: {_why(detector, result)}", err=True)
    rules = len({r.rule.id for r in results})
    click.echo(f"{len(results) - len(failures)} passed, {len(failures)} failed "
               f"({len(results)} examples of {rules} rules)")
    return ExitCode.FINDINGS if failures else ExitCode.OK


def _why(detector: Any, result: Any) -> str:
    """Why an example failed, from the detector's own account (``policy explain``)."""
    role = sorted(result.rule.roles)[0] if result.rule.roles else "user"
    judgements, _silent = detector.explain(result.text, role)
    mine = [j for j in judgements if j.rule.id == result.rule.id]
    if result.expected:
        if not mine:
            return "no pattern, term or recognizer of the rule matched anything in the example"
        best = max(mine, key=lambda j: j.score)
        if best.reason:
            return f"it matched chars {best.start}-{best.end} but was not reported: {best.reason}"
        return (f"it matched chars {best.start}-{best.end} with score {best.score:.2f}, under its "
                f"min_score {result.rule.min_score:.2f}")
    reported = [j for j in mine if j.reported]
    if not reported:
        return "another rule's finding covers the same text"
    hit = reported[0]
    context = " (with a context word)" if hit.context_word else ""
    return (f"it reported chars {hit.start}-{hit.end} with score {hit.score:.2f}{context}, at or over "
            f"its min_score {result.rule.min_score:.2f}: add an allow entry or tighten the pattern")


@policy.command("explain")
@click.argument("text")
@click.option("--policy", "policies", multiple=True, metavar="NAME|PATH")
@click.option("--role", default="user", show_default=True,
              type=click.Choice(["user", "assistant", "system", "tool", "title"],
                                case_sensitive=False))
@click.option("--all", "show_all", is_flag=True, help="Also list the rules that found nothing.")
@click.option("--edm", "edm", multiple=True, metavar="INDEX",
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Also look TEXT up in these EDM indexes (`chatdlp edm build`).")
def policy_explain(
    text: str, policies: tuple[str, ...], role: str, show_all: bool, edm: tuple[Path, ...]
) -> None:
    """Which rules fire on TEXT, the score before and after context, and why others do not;
    which records of --edm indexes it holds; the health information the whole-conversation
    PHI rule would count.

    Values are shown masked, by position.
    """
    from chatdlp.detect.conversation import IDENTIFYING, HealthVocabulary
    from chatdlp.detect.edm import EdmIndex, edm_detections
    from chatdlp.pipeline.conversation import edm_secret
    from chatdlp.report.redact import redact_excerpt

    detector = build_detector(policies)
    judgements, silent = detector.explain(text, role)
    secret = edm_secret() if edm else b""
    matched = [d for path in edm for d in edm_detections(EdmIndex.load(path, secret), text)]
    spans = [(j.start, j.end, j.rule.entity) for j in judgements]
    spans += [(d.start, d.end, d.entity_type) for d in matched]
    click.echo(f"text: {redact_excerpt(text, spans, 0, 0, window=len(text))}")
    if not judgements and not matched:
        click.echo("no rule found anything")
    for j in judgements:
        verdict = "REPORTED" if j.reported else "not reported"
        context = f" +{j.score - j.raw_score:.2f} context" if j.context_word else ""
        click.echo(
            f"{verdict:<12} {j.rule.id} [{j.rule.entity}] chars {j.start}-{j.end}: "
            f"score {j.raw_score:.2f}{context} -> {j.score:.2f} (min {j.rule.min_score:.2f}, "
            f"{j.rule.severity.value})" + (f"; {j.reason}" if j.reason else "")
            + ("; found in the plain form of a disguised value" if j.disguised else "")
        )
    for d in matched:
        if d.reported:
            click.echo(f"{'REPORTED':<12} {d.rule_id} [EDM_MATCH] chars {d.start}-{d.end}: one record's "
                       f"{', '.join(d.edm_columns)} ({d.severity.value})")
    if any(policy.name == "phi" for policy in detector.policies.policies):
        terms = HealthVocabulary.shipped().find(text)
        identified = any(j.reported and j.rule.entity in IDENTIFYING for j in judgements) or any(
            d.reported for d in matched)
        if terms:
            where = ", ".join(f"{t.kind} at chars {t.start}-{t.end}" for t in terms[:5])
            click.echo(f"{'health info':<12} {where}: with a person identified in the same conversation "
                       "(here: " + ("yes" if identified else "not in this text") + "), phi.combination "
                       "fires on the message that completes the pair (high)")
    if show_all:
        for rule in silent:
            click.echo(f"{'no match':<12} {rule.id} [{rule.entity}]")
