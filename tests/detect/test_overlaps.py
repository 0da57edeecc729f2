"""The n log n overlap resolution and span index decide exactly what the quadratic scans
they replaced decided (the reference implementations below), on random spans."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from chatdlp.detect.engine import Judgement, _resolve_overlaps, _specificity
from chatdlp.detect.nlp_engine import _SpanIndex
from chatdlp.policy.loader import load_policies

RULES = load_policies().rules


def _reference(judgements: list[Judgement]) -> list[Judgement]:
    order = sorted(
        (j for j in judgements if j.reported),
        key=lambda j: (-_specificity(j.rule), -j.rule.severity.rank, -j.score, -(j.end - j.start), j.start),
    )
    kept: list[Judgement] = []
    for candidate in order:
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)

    def winner(loser: Judgement) -> str:
        for k in kept:
            if not (loser.end <= k.start or loser.start >= k.end):
                return k.rule.entity
        return "other"

    return [
        j if not j.reported or any(j is k for k in kept)
        else replace(j, reported=False, reason=f"overlaps a stronger {winner(j)} finding")
        for j in judgements
    ]


_judgement = st.builds(
    lambda rule, start, length, score, reported: Judgement(
        RULES[rule], start, start + length, score, score, False, reported, "" if reported else "x"),
    st.integers(0, len(RULES) - 1), st.integers(0, 200), st.integers(1, 30),
    st.sampled_from([0.3, 0.5, 0.85, 1.0]), st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_judgement, max_size=40))
def test_resolve_overlaps_decides_as_the_quadratic_scan_did(judgements: list[Judgement]) -> None:
    assert _resolve_overlaps(judgements) == _reference(judgements)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 80), st.booleans()), max_size=60))
def test_the_span_index_finds_what_a_scan_of_every_span_finds(steps: list[tuple[int, int, bool]]) -> None:
    index, plain = _SpanIndex([]), []
    for start, length, replacing in steps:
        span = _Span(start, start + length)
        expected = [s for s in plain if s.start < span.end and span.start < s.end]
        found = index.overlapping(span)
        assert [s for _, s in found] == expected
        if not expected:
            index.add(span)
            plain.append(span)
        elif replacing:
            for key, _ in found:
                index.remove(key)
            plain = [s for s in plain if not any(s is e for e in expected)] + [span]
            index.add(span)
        assert index.spans() == plain
