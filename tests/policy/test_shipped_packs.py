"""Every rule of every shipped pack passes its own examples (what `chatdlp policy test` runs)."""

import pytest

from chatdlp.detect.examples import run_examples
from chatdlp.policy import load_policies, shipped_pack_names


@pytest.fixture(scope="module")
def results(spacy_pipeline, nlp_profile):
    from chatdlp.detect import Detector

    policies = load_policies(shipped_pack_names(include_examples=True))
    return run_examples(Detector(policies, spacy_pipeline, nlp_profile))


def test_every_rule_has_examples_of_both_kinds() -> None:
    for rule in load_policies(shipped_pack_names(include_examples=True)).rules:
        assert rule.examples_match and rule.examples_no_match, rule.id


def test_shipped_examples_pass(results) -> None:
    failures = [(r.rule.id, r.text, r.expected, r.fired) for r in results if not r.passed]
    assert failures == []
    assert len(results) > 100
