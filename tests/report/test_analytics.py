from __future__ import annotations

import json
from pathlib import Path

from chatdlp.records import Category, Severity
from chatdlp.report.analytics import OTHER, AnalyticsCollector
from chatdlp.report.formats.analytics import AnalyticsFormatter
from chatdlp.report.model import ReportOptions
from tests.report.helpers import finding, message, model

DAY1 = 1764057600.0  # 2025-11-25
DAY2 = DAY1 + 86400


def _collector() -> AnalyticsCollector:
    collector = AnalyticsCollector()
    # six users on day 1 talk to the default model; two use a custom GPT
    for n in range(6):
        user = f"user-{n}"
        hit = [finding(n, user_id=user)] if n % 2 == 0 else []
        collector.observe(message(f"conv-{n}", user, created_at=DAY1), hit)
    for n in range(2):
        user = f"user-{n}"
        card = finding(90 + n, entity_type="CREDIT_CARD", category=Category.PCI,
                       severity=Severity.CRITICAL, user_id=user)
        collector.observe(message(f"gpt-conv-{n}", user, created_at=DAY1, gpt_id="g-secret"),
                          [card])
    # day 2: one user only
    collector.observe(message("late", "user-9", created_at=DAY2), [finding(99)])
    return collector


def test_counts_per_day_and_overall() -> None:
    analytics = _collector().snapshot(min_group_size=1)
    overall = analytics.overall
    assert (overall.conversations, overall.messages, overall.findings) == (9, 9, 6)
    assert overall.conversations_with_findings == 6
    assert overall.share_with_findings == round(6 / 9, 4)
    assert overall.distinct_users == 7
    assert [d.label for d in analytics.days] == ["2025-11-25", "2025-11-26"]
    day1 = analytics.days[0]
    assert (day1.conversations, day1.messages, day1.findings) == (8, 8, 5)
    gpt = {row.key: row for b in overall.breakdowns if b.dimension == "gpt" for row in b.rows}
    assert gpt["g-secret"].messages == 2 and gpt["g-secret"].findings == 2
    assert analytics.window_start == "2025-11-25T08:00:00Z"


def test_small_groups_are_folded_or_suppressed() -> None:
    analytics = _collector().snapshot(min_group_size=5)
    overall = analytics.overall
    assert not overall.suppressed and overall.distinct_users == 7
    by = {b.dimension: b for b in overall.breakdowns}
    # the custom GPT has 2 users: folded away; "(other)" would have 2 users too: suppressed
    assert [row.key for row in by["gpt"].rows] == ["(none)"]
    assert by["gpt"].suppressed_groups == 1
    # pii has 4 users, pci 2: neither is shown alone, together they make an (other) of 5
    category = by["category"].rows
    assert [(row.key, row.distinct_users, row.findings) for row in category] == [(OTHER, 5, 6)]
    assert by["category"].suppressed_groups == 0
    # day 2 has one user: no counts at all
    assert analytics.days[1].suppressed and analytics.days[1].messages == 0


def test_small_groups_fold_into_other_when_together_large_enough() -> None:
    collector = AnalyticsCollector()
    for n in range(6):
        collector.observe(message(f"c{n}", f"u{n}", project_id=f"p{n % 3}"), [])
    by = {b.dimension: b for b in collector.snapshot(min_group_size=3).overall.breakdowns}
    rows = by["project"].rows
    assert [(row.key, row.distinct_users, row.messages) for row in rows] == [(OTHER, 6, 6)]
    assert by["project"].suppressed_groups == 0


def test_analytics_json_has_no_user_id_value_or_excerpt(tmp_path: Path) -> None:
    collector = _collector()
    findings = [finding(1, excerpt="call [US_SSN] now", user_id="user-0")]
    options = ReportOptions(min_group_size=2)
    (path,) = AnalyticsFormatter().write(
        model(tmp_path, findings, options=options, collector=collector), tmp_path
    )
    text = path.read_text()
    data = json.loads(text)
    assert data["min_group_size"] == 2
    assert "user-" not in text
    assert "[US_SSN]" not in text and "fp-ssn-1" not in text
    assert "g-secret" in text  # 2 users >= 2: the GPT group is shown
    assert data["overall"]["by"]["gpt"]["groups"][0]["distinct_users"] >= 2
    assert data["days"][1] == {"period": "2025-11-26", "suppressed": True}


def test_messages_without_user_count_as_one_unknown_user() -> None:
    collector = AnalyticsCollector()
    for n in range(10):
        collector.observe(message(f"c{n}", None), [])
    assert collector.snapshot(min_group_size=2).overall.suppressed


def test_the_same_snapshot_when_every_set_is_spilled_to_disk(tmp_path: Path) -> None:
    """Distinct users and conversations are counted exactly past the in-memory bound."""
    from chatdlp.digests import LabelledSets

    def build(sets: LabelledSets | None) -> AnalyticsCollector:
        collector = AnalyticsCollector(sets)
        for repeat in range(3):  # every message seen again: counted once as a conversation
            for n in range(40):
                user = f"user-{n % 11}"
                hit = [finding(n, user_id=user)] if n % 3 == 0 else []
                collector.observe(message(f"conv-{n}", user, created_at=DAY1 + repeat), hit)
        return collector

    spilled = LabelledSets(memory_items=3, temp_dir=str(tmp_path))
    on_disk = build(spilled)
    assert spilled.spills > 50 and list(tmp_path.iterdir())
    for k in (1, 5, 12):
        assert on_disk.snapshot(k) == build(None).snapshot(k)
    overall = on_disk.snapshot(1).overall
    assert (overall.conversations, overall.distinct_users, overall.messages) == (40, 11, 120)
    spilled.close()
    assert list(tmp_path.iterdir()) == []
