from __future__ import annotations

from pathlib import Path

from chatdlp.report.formats.markdown import MarkdownFormatter, md
from tests.report.helpers import finding, model


def test_md_escapes_markup_and_keeps_one_line() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<b>x</b>\nnext") == "\\<b\\>x\\</b\\> next"
    assert md("[link](http://x)") == "\\[link\\]\\(http://x\\)"


def test_summary_has_run_findings_incidents_and_analytics_but_no_excerpt(tmp_path: Path) -> None:
    findings = [finding(1, excerpt="secret context [US_SSN]"),
                finding(2, conversation_id="conv-2", excerpt="other context [US_SSN]")]
    (path,) = MarkdownFormatter().write(model(tmp_path, findings), tmp_path)
    text = path.read_text()
    for heading in ("# chatdlp scan summary", "## Run", "## Findings", "## Incidents",
                    "## Analytics"):
        assert heading in text
    assert "ab" * 32 in text  # policy hash
    assert "1 value(s) seen in more than one conversation" in text
    assert "context" not in text  # managers get counts, not excerpts
    assert "user-a" not in text


def test_critical_findings_reach_the_summary_before_lesser_incidents(tmp_path: Path) -> None:
    from chatdlp.records import Category, Severity

    cards = [finding(n, conversation_id=f"card-{n}", rule_id="pci.credit_card", entity_type="CREDIT_CARD",
                     category=Category.PCI, severity=Severity.CRITICAL, fingerprint=f"card-{n}",
                     excerpt="card [CREDIT_CARD]")
             for n in range(200)]
    emails = [finding(1000 + n, conversation_id=f"mail-{n % 40}", user_id=f"u{n}", rule_id="pii.email",
                      entity_type="EMAIL_ADDRESS", severity=Severity.LOW, fingerprint=f"mail-{n // 2}",
                      excerpt="mail [EMAIL_ADDRESS]")
              for n in range(80)]
    (path,) = MarkdownFormatter().write(model(tmp_path, cards + emails), tmp_path)
    text = path.read_text()
    section = text[text.index("## Critical and high findings"):text.index("## Incidents")]
    assert "| critical | CREDIT\\_CARD | pci.credit\\_card | 200 | 200 |" in section
    assert text.index("CREDIT\\_CARD") < text.index("EMAIL\\_ADDRESS")
