from __future__ import annotations

import re
from pathlib import Path

from chatdlp.records import Category, Severity
from chatdlp.report.analytics import AnalyticsCollector
from chatdlp.report.formats.html import HtmlFormatter, excerpt_pieces
from chatdlp.report.model import LinkTemplate, ReportOptions
from tests.report.helpers import finding, message, model


def _render(tmp_path: Path, **kwargs: object) -> str:
    findings = [
        finding(1, excerpt="<script>alert('x')</script> [US_SSN] & more",
                conversation_id="conv\"><img src=x onerror=alert(1)>"),
        finding(2, conversation_id="conv-2", user_id="user-b", entity_type="CREDIT_CARD",
                category=Category.PCI, severity=Severity.CRITICAL, rule_id="pci.credit_card",
                excerpt="card [CREDIT_CARD]", fingerprint="fp-card"),
        finding(3, conversation_id="conv-2", user_id="user-c", severity=Severity.MEDIUM),
    ]
    (path,) = HtmlFormatter().write(model(tmp_path, findings, **kwargs), tmp_path)  # type: ignore[arg-type]
    return path.read_text()


def test_html_escapes_everything_from_the_data(tmp_path: Path) -> None:
    html = _render(tmp_path)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&amp; more" in html


def test_html_is_self_contained(tmp_path: Path) -> None:
    html = _render(tmp_path)
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # CSP: the page can load nothing
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith("https://chatgpt.com/c/") for h in hrefs)


def test_html_groups_findings_by_conversation_with_filters(tmp_path: Path) -> None:
    html = _render(tmp_path)
    assert html.count("<details class=\"conv\"") == 2
    assert html.count("data-finding ") == 3
    for attribute in ('data-severity="critical"', 'data-category="pci"',
                      'data-entity="CREDIT_CARD"', 'data-user="user-b"'):
        assert attribute in html
    for name in ("severity", "category", "entity", "user"):
        assert f'data-filter="{name}"' in html
    assert '<option value="user-c">' in html
    assert "ab" * 32 in html  # policy hash in the run header
    assert '<mark class="mask">[US_SSN]</mark>' in html


def test_link_template_is_configurable_and_ids_are_url_encoded(tmp_path: Path) -> None:
    options = ReportOptions(LinkTemplate("https://review.example/t/{conversation_id}?m=1"))
    html = _render(tmp_path, options=options)
    assert 'href="https://review.example/t/conv-2?m=1"' in html
    assert "https://review.example/t/conv%22%3E%3Cimg" in html


def test_html_analytics_section_respects_group_size(tmp_path: Path) -> None:
    collector = AnalyticsCollector()
    for user in ("u1", "u2"):
        collector.observe(message("c-" + user, user), [])
    html = _render(tmp_path, collector=collector)
    assert "Overall figures suppressed" in html
    assert "u1" not in html.split('id="analytics"')[1]


def test_excerpt_pieces_come_from_the_masks_redaction_recorded() -> None:
    from chatdlp.report.redact import RevealPolicy, excerpt_of

    text = "q" * 70 + " a 536-22-8194 b 4111 1111 1111 6467jo@contoso.com"
    card = text.index("4111")
    spans = [(text.index("536"), text.index("536") + 11, "US_SSN"), (card, card + 19, "CREDIT_CARD"),
             (card + 19, len(text), "EMAIL_ADDRESS")]
    excerpt = excerpt_of(text, spans, spans[0][0], spans[0][1], window=6,
                         reveal=RevealPolicy.of(["CREDIT_CARD"]))
    pieces = excerpt_pieces(finding(1, excerpt=excerpt.text, excerpt_masks=excerpt.masks))
    # the window ends inside the card: its whole region is masked, the touching e-mail with it
    assert [(p.text, p.masked) for p in pieces] == [
        ("…qqq a ", False), ("[US_SSN]", True), (" b ", False), ("[EMAIL_ADDRESS]", True),
    ]
    alone = [(text.index("4111"), text.index("4111") + 19, "CREDIT_CARD")]
    hinted = excerpt_of(text, alone, alone[0][0], alone[0][1], window=3, reveal=RevealPolicy.of(["CREDIT_CARD"]))
    pieces = excerpt_pieces(finding(1, excerpt=hinted.text, excerpt_masks=hinted.masks))
    assert [(p.text, p.masked) for p in pieces] == [("…b ", False), ("[CREDIT_CARD …6467]", True), ("jo@…", False)]
    # a finding stored without masks (an older state) is one piece of text
    stored = finding(2, excerpt_masks=())
    assert [(p.text, p.masked) for p in excerpt_pieces(stored)] == [("my SSN is [US_SSN] thanks", False)]
