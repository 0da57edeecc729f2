"""The entity table is the one place entity knowledge lives."""

from chatdlp.entities import Normal, Reveal, Specificity, entity, label_entities, normalise
from chatdlp.evaluate import LABEL_ENTITIES
from chatdlp.report.redact import ALLOWED_REVEALS


def test_an_entity_without_a_row_gets_the_defaults() -> None:
    row = entity("ACME_BADGE_ID")
    assert (row.normal, row.reveal, row.specificity, row.label, row.specimen) == (
        Normal.TEXT, None, Specificity.PATTERN, None, None
    )
    assert normalise("ACME_BADGE_ID", "  AB   12 ") == "ab 12"


def test_reports_and_evaluation_read_the_table() -> None:
    assert ALLOWED_REVEALS["EMAIL_ADDRESS"] is Reveal.DOMAIN
    assert ALLOWED_REVEALS["CREDIT_CARD"] is Reveal.LAST4
    assert label_entities() == LABEL_ENTITIES
    assert LABEL_ENTITIES["ID"] >= {"US_NPI", "UK_NHS", "US_MBI"}
