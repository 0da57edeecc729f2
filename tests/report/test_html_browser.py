"""report.html in a real browser: headless Chromium driven by Playwright.

The browser is the system's (Debian's ``chromium``; CHATDLP_CHROMIUM names another): Playwright
never downloads one here. Without a browser or without Playwright the tests skip, saying why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatdlp.records import Category, Severity
from chatdlp.report.formats.html import HtmlFormatter
from chatdlp.report.model import ReportOptions
from tests.report.helpers import finding, model

SEVERITIES = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


def _chromium() -> str | None:
    named = os.environ.get("CHATDLP_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium, or set CHATDLP_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


def _report(tmp_path: Path, count: int) -> Path:
    findings = [
        finding(n, conversation_id=f"conv-{n // 4}", severity=SEVERITIES[n % 4],
                entity_type="CREDIT_CARD" if n % 4 == 3 else "US_SSN",
                category=Category.PCI if n % 4 == 3 else Category.PII, fingerprint=f"{n:064x}",
                user_id=f"user-{n % 3}")
        for n in range(count)
    ]
    (path,) = HtmlFormatter().write(model(tmp_path, findings, ReportOptions(state_path="state.db")), tmp_path)
    return path


def _visible_rows(page: Any) -> list[str]:
    rows: list[str] = page.eval_on_selector_all(
        "tr[data-finding]:not([hidden])", "rows => rows.map(r => r.getAttribute('data-severity'))")
    return rows


def test_filters_hide_and_show_rows_and_live_in_the_fragment(browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(_report(tmp_path, 40).as_uri())
    assert len(_visible_rows(page)) == 40
    assert page.inner_text("#count") == "40 of 40 findings"
    first_group = page.get_attribute("details[data-conversation] .sev", "class") or ""
    assert "sev-critical" in first_group  # the most severe conversations come first

    page.select_option("select[data-filter=severity]", "high")
    assert set(_visible_rows(page)) == {"high", "critical"}  # at or above
    assert page.inner_text("#count") == "20 of 40 findings"
    assert page.evaluate("window.location.hash") == "#severity=high"
    option = page.inner_text("select[data-filter=severity] option[value=high]")
    assert option == "high (20)"

    page.select_option("select[data-filter=entity]", "CREDIT_CARD")
    assert set(_visible_rows(page)) == {"critical"}
    page.click("#reset")
    assert len(_visible_rows(page)) == 40

    shared = browser.new_page()
    shared.goto(_report(tmp_path, 40).as_uri() + "#severity=critical")
    assert set(_visible_rows(shared)) == {"critical"}
    command = shared.text_content("tr[data-finding]:not([hidden]) code.cmd") or ""
    assert command.startswith("chatdlp findings suppress ") and "--state state.db" in command


def test_a_report_of_10000_findings_opens_and_pages(browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(_report(tmp_path, 10_000).as_uri(), timeout=120_000)
    assert len(_visible_rows(page)) == 500
    assert page.inner_text("#count") == "500 shown of 10000 of 10000 findings"
    page.click("#more")
    assert len(_visible_rows(page)) == 1000
    page.select_option("select[data-filter=severity]", "critical")
    assert len(_visible_rows(page)) == 500
    assert page.inner_text("#count") == "500 shown of 2500 of 10000 findings"
