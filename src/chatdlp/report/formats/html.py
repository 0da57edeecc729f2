"""report.html: one self-contained page for reviewers, rendered through an autoescaping template.

Findings are grouped by conversation (consecutive runs of the findings file, which
the scan writes conversation by conversation), streamed through the template,
never all held at once. No external asset: CSS and the filter script are inline
and a Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from chatdlp.atomic import AtomicFile
from chatdlp.records import Finding, Severity
from chatdlp.report.model import LinkTemplate, ReportModel

if TYPE_CHECKING:
    import jinja2

FILE_NAME = "report.html"
TEMPLATE = "report.html.j2"


@dataclass(frozen=True, slots=True)
class ExcerptPiece:
    text: str
    masked: bool


@dataclass(frozen=True, slots=True)
class ConversationGroup:
    conversation_id: str
    link: str
    findings: tuple[Finding, ...]
    max_severity: Severity
    users: tuple[str, ...]
    first_seen: str | None


def excerpt_pieces(finding: Finding) -> tuple[ExcerptPiece, ...]:
    """The excerpt split into plain text and masks (where redaction put them, as the
    finding records), so masks can be styled. A finding stored without them (an older
    state) is shown as one piece of text: its masks are in it, unstyled."""
    excerpt = finding.excerpt
    pieces: list[ExcerptPiece] = []
    position = 0
    for start, end in finding.excerpt_masks:
        if start > position:
            pieces.append(ExcerptPiece(excerpt[position:start], False))
        pieces.append(ExcerptPiece(excerpt[start:end], True))
        position = end
    if position < len(excerpt):
        pieces.append(ExcerptPiece(excerpt[position:], False))
    return tuple(pieces)


def conversation_groups(
    findings: Iterable[Finding], link: LinkTemplate
) -> Iterator[ConversationGroup]:
    for conversation_id, run in itertools.groupby(findings, key=lambda f: f.conversation_id):
        items = tuple(run)
        times = [f.created_at for f in items if f.created_at]
        yield ConversationGroup(
            conversation_id=conversation_id,
            link=link.url(conversation_id),
            findings=items,
            max_severity=max((f.severity for f in items), key=lambda s: s.rank),
            users=tuple(sorted({f.user_id for f in items if f.user_id})),
            first_seen=min(times) if times else None,
        )


def groups_most_severe_first(
    findings: Iterable[Finding], link: LinkTemplate
) -> Iterator[ConversationGroup]:
    """Conversation groups, critical ones first (in file order within a severity), each with
    its findings most severe first. One pass over the findings per severity: the findings
    file is streamed again, never held."""
    for severity in reversed(Severity):
        for group in conversation_groups(findings, link):
            if group.max_severity == severity:
                ordered = tuple(sorted(group.findings, key=lambda f: -f.severity.rank))
                yield dataclasses.replace(group, findings=ordered)


def _environment() -> jinja2.Environment:
    import jinja2  # only when a report.html is written (a rerun with --state writes none)

    return jinja2.Environment(
        loader=jinja2.PackageLoader("chatdlp.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class HtmlFormatter:
    name: ClassVar[str] = "html"

    def write(self, model: ReportModel, out_dir: Path) -> tuple[Path, ...]:
        template = _environment().get_template(TEMPLATE)
        path = out_dir / FILE_NAME
        with AtomicFile(path) as out:
            for chunk in template.generate(
                run=model.run,
                facets=model.facets,
                incidents=model.incidents,
                analytics=model.analytics,
                groups=groups_most_severe_first(model.findings, model.options.link_template),
                state_path=model.options.state_path,
                excerpt_pieces=excerpt_pieces,
                severity_order=[s.value for s in reversed(Severity)],
            ):
                out.write(chunk)
        return (path,)
