"""Broken policies are refused with a message naming file, line, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatdlp.errors import PolicyError
from chatdlp.policy import load_policies, shipped_pack_names

GOOD_RULE = """\
  - id: acme.codename
    entity: CODENAME
    category: confidential
    severity: high
    terms: [Falcon]
"""


def _policy(tmp_path: Path, rules: str, header: str = "version: 1\nname: acme\n") -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(header + "rules:\n" + rules)
    return path


def _error(path: Path) -> str:
    with pytest.raises(PolicyError) as info:
        load_policies([str(path)])
    return str(info.value)


def test_a_good_policy_loads_with_terms_and_hash(tmp_path: Path) -> None:
    path = _policy(tmp_path, GOOD_RULE)
    [policy] = load_policies([str(path)]).policies
    assert policy.name == "acme" and policy.rules[0].terms == ("Falcon",)
    assert len(policy.sha256) == 64


BROKEN = [
    (
        "misspelt key",
        GOOD_RULE.replace("severity: high", "severty: high"),
        [":7:5:", "rule acme.codename", "field 'severty'", "unknown key 'severty'",
         "did you mean 'severity'?"],
    ),
    (
        "invalid regex",
        GOOD_RULE.replace("terms: [Falcon]", "patterns:\n      - {name: p, regex: '[a-z', score: 0.5}"),
        ["rule acme.codename", "field 'patterns[0].regex'", "invalid regular expression"],
    ),
    (
        "catastrophic regex",  # the lookbehind keeps it on the backtracking engine
        GOOD_RULE.replace("terms: [Falcon]", "patterns:\n      - {name: p, regex: '(?<=id )(\\w+\\s?)+$', score: 0.5}"),
        ["field 'patterns[0].regex'", "backtrack catastrophically"],
    ),
    (
        "unknown validator",
        GOOD_RULE.replace("terms: [Falcon]", "patterns:\n      - {name: p, regex: '\\d+', score: 0.5}\n    validators: [lunh]"),
        ["field 'validators'", "unknown validator 'lunh'", "did you mean 'luhn'?"],
    ),
    (
        "unknown recognizer",
        GOOD_RULE.replace("terms: [Falcon]", "recognizer: presidio:CreditCardRecogniser"),
        ["field 'recognizer'", "unknown Presidio recognizer", "did you mean 'presidio:CreditCardRecognizer'?"],
    ),
    (
        "duplicate ids",
        GOOD_RULE + GOOD_RULE,
        [":9:5:", "rule acme.codename", "field 'id'", "duplicate rule id"],
    ),
    (
        "missing terms file",
        GOOD_RULE.replace("terms: [Falcon]", "terms_file: missing.txt"),
        [":8:", "rule acme.codename", "field 'terms_file'", "cannot read terms file missing.txt"],
    ),
    (
        "bad severity",
        GOOD_RULE.replace("severity: high", "severity: urgent"),
        [":7:5:", "field 'severity'", "'info', 'low', 'medium', 'high' or 'critical'"],
    ),
    (
        "missing field",
        GOOD_RULE.replace("    category: confidential\n", ""),
        ["rule acme.codename", "field 'category'", "required, but missing"],
    ),
    (
        "nothing to detect",
        GOOD_RULE.replace("    terms: [Falcon]\n", ""),
        ["rule acme.codename", "needs 'patterns', 'terms'/'terms_file' or 'recognizer'"],
    ),
    (
        "bad rule id",
        GOOD_RULE.replace("id: acme.codename", "id: Codename"),
        ["field 'id'", "should match pattern"],
    ),
]


@pytest.mark.parametrize(("case", "rules", "expected"), BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_policies_are_refused_clearly(tmp_path: Path, case: str, rules: str, expected: list[str]) -> None:
    message = _error(_policy(tmp_path, rules))
    assert message.startswith(str(tmp_path / "acme.yaml"))
    for piece in expected:
        assert piece in message, (case, message)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nname: bad\nrules:\n  - id: [unclosed\n")
    message = _error(path)
    assert f"{path}:5:1:" in message or f"{path}:4:" in message


def test_version_is_required_and_checked(tmp_path: Path) -> None:
    assert "field 'version'" in _error(_policy(tmp_path, GOOD_RULE, header="name: acme\n"))
    assert "field 'version'" in _error(_policy(tmp_path, GOOD_RULE, header="version: 2\nname: acme\n"))


def test_extends_loads_parents_first_and_refuses_cycles(tmp_path: Path) -> None:
    child = _policy(tmp_path, GOOD_RULE, header="version: 1\nname: acme\nextends: [pii]\n")
    names = load_policies([str(child)]).names
    assert names == ["pii", "acme"]
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("version: 1\nname: a\nextends: [b.yaml]\nrules: []\n")
    b.write_text("version: 1\nname: b\nextends: [a.yaml]\nrules: []\n")
    assert "makes a cycle" in _error(a)


def test_rule_ids_unique_across_policies(tmp_path: Path) -> None:
    first = _policy(tmp_path, GOOD_RULE)
    second = tmp_path / "second.yaml"
    second.write_text("version: 1\nname: second\nrules:\n" + GOOD_RULE)
    with pytest.raises(PolicyError, match="already defined in"):
        load_policies([str(first), str(second)])


def test_unknown_pack_name_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError, match=r"not a shipped pack .*pii"):
        load_policies(["hipaa"])


def test_default_packs_are_every_shipped_pack_but_the_example() -> None:
    assert shipped_pack_names() == ["eu", "pci", "phi", "pii", "secrets"]
    assert "confidential.example" in shipped_pack_names(include_examples=True)


def test_terms_file_is_read_relative_to_the_policy_and_hashed(tmp_path: Path) -> None:
    (tmp_path / "names.txt").write_text("# codenames\nNightjar\n\nCobalt Meridian\n")
    path = _policy(tmp_path, GOOD_RULE.replace("terms: [Falcon]", "terms: [Falcon]\n    terms_file: names.txt"))
    [policy] = load_policies([str(path)]).policies
    assert policy.rules[0].terms == ("Falcon", "Nightjar", "Cobalt Meridian")
    before = policy.sha256
    (tmp_path / "names.txt").write_text("Nightjar\n")
    assert load_policies([str(path)]).policies[0].sha256 != before


def test_the_chatdlp_recognizers_a_rule_may_name_are_the_ones_detect_has() -> None:
    from chatdlp.detect.recognizers import CHATDLP_RECOGNIZERS
    from chatdlp.policy.schema import CHATDLP_RECOGNIZER_NAMES

    assert set(CHATDLP_RECOGNIZER_NAMES) == set(CHATDLP_RECOGNIZERS)


def _pack(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"version: 1\nname: {name}\n" + body)
    return path


def test_plus_and_default_add_to_the_shipped_packs(tmp_path: Path) -> None:
    acme = _pack(tmp_path, "acme", "rules:\n" + GOOD_RULE)
    shipped = set(shipped_pack_names())
    assert set(load_policies([f"+{acme}"]).names) == shipped | {"acme"}
    assert set(load_policies(["default", str(acme)]).names) == shipped | {"acme"}
    assert load_policies([str(acme)]).names == ["acme"]


def test_pack_names_are_case_insensitive_and_misspelt_ones_get_a_hint() -> None:
    assert load_policies(["PII"]).names == ["pii"]
    with pytest.raises(PolicyError, match="did you mean pii"):
        load_policies(["pij"])


def test_an_extending_pack_redefines_a_shipped_rule(tmp_path: Path) -> None:
    location = load_policies(["pii"]).rule("pii.location")
    assert location is not None
    path = _pack(tmp_path, "acme", "extends: [pii]\nrules:\n  - id: pii.location\n    entity: LOCATION\n"
                 "    category: pii\n    severity: low\n    recognizer: presidio:SpacyRecognizer\n"
                 "    min_score: 0.9\n")
    policies = load_policies([str(path)])
    [rule] = [r for r in policies.rules if r.id == "pii.location"]
    assert rule.policy == "acme" and rule.min_score == 0.9


def test_overrides_disable_or_change_shipped_rules(tmp_path: Path) -> None:
    before = load_policies(["pii"])
    rule_id = "pii.location"
    other = next(r.id for r in before.rules if r.id != rule_id)
    path = _pack(tmp_path, "acme", f"overrides:\n  {rule_id}:\n    enabled: false\n"
                 f"  {other}:\n    severity: critical\n    min_score: 0.95\n    allow: ['^x$']\n")
    policies = load_policies([f"+{path}"])
    assert policies.rule(rule_id) is None
    changed = policies.rule(other)
    assert changed is not None and changed.severity.value == "critical"
    assert changed.min_score == 0.95 and changed.allow == ("^x$",)


def test_an_override_of_an_unknown_rule_names_file_line_and_a_close_id(tmp_path: Path) -> None:
    path = _pack(tmp_path, "acme", "extends: [pii]\noverrides:\n  pii.locaton:\n    enabled: false\n")
    message = _error(path)
    assert f"{path.resolve()}:5:3:" in message
    assert "did you mean 'pii.location'?" in message
    bad_key = _pack(tmp_path, "acme", "extends: [pii]\noverrides:\n  pii.location:\n    severty: low\n")
    assert "unknown key 'severty'; did you mean 'severity'?" in _error(bad_key)
