"""`policy validate`: warnings about engines and keywords; catastrophic fallbacks refused."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chatdlp.cli import main

RULE = """\
  - id: acme.{name}
    entity: CODE
    category: confidential
    severity: high
    patterns:
      - {{name: p, regex: '{regex}', score: 0.9}}
"""


def _validate(tmp_path: Path, *rules: tuple[str, str]) -> tuple[int, str]:
    path = tmp_path / "acme.yaml"
    path.write_text("version: 1\nname: acme\nrules:\n" + "".join(RULE.format(name=n, regex=r) for n, r in rules))
    result = CliRunner().invoke(main, ["policy", "validate", str(path)])
    return result.exit_code, result.output


def test_fallbacks_unchecked_syntax_and_missing_keywords_are_named(tmp_path: Path) -> None:
    code, output = _validate(
        tmp_path,
        ("lookahead", r"ACME-\d{4}(?=\s\d)"),
        ("unicode", r"\bACME-\p{Lu}{4}"),
        ("digits", r"\b\d{3}-\d{4}\b"),
        ("fine", r"\bACME-[0-9]{4}\b"),
    )
    assert code == 0, output
    assert "rule acme.lookahead pattern p runs on the backtracking regex engine (it has a lookaround" in output
    assert "rule acme.unicode pattern p runs on the backtracking regex engine (it uses syntax only" in output
    assert "rule acme.unicode pattern p cannot be checked for catastrophic backtracking" in output
    assert "rule acme.digits pattern p has no keywords and none can be derived" in output
    assert "acme.fine" not in output


def test_catastrophic_patterns_on_the_backtracking_engine_are_refused(tmp_path: Path) -> None:
    for regex in [r"(?=a)(a|a)*$", r"(?=a)(a|aa)+$", r"(?=x)(x+x+)+y", r"(?=a)(a+){1,100}$", r"(?=a)(a?a?)+$",
                  r"(?=a)(\w|\d)+$", r"(?=1)\d+\d+\d+$", r"(a)\1"]:
        code, output = _validate(tmp_path, ("slow", regex))
        assert code == 2 and "backtrack catastrophically" in output, regex


def test_catastrophic_shapes_that_run_on_re2_are_accepted(tmp_path: Path) -> None:
    code, output = _validate(tmp_path, ("shape", r"ACME-(a|aa)+$"), ("other", r"ACME-(\w+\s?)*$"))
    assert code == 0, output
