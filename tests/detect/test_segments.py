"""Prose segmentation and ALL-CAPS re-casing keep every offset."""

import pytest
import regex

from chatdlp.detect.segments import (
    CaseRestorer,
    count_upper,
    is_mostly_upper,
    looks_like_code,
    ner_view,
    non_prose_spans,
)

CODE_LINES = [
    "import os.path",
    "from chatdlp.detect import Detector",
    "class UserManager(BaseModel):",
    '  File "/app/main.py", line 10, in <module>',
    "    at com.acme.billing.InvoiceService.run(InvoiceService.java:42)",
    "2024-03-01 12:00:01 INFO Started worker pid=123",
    '  "name": "value",',
    "$ pip install chatdlp",
    "result = compute(x, y)",
]
PROSE_LINES = [
    "Hi team, Dana Whitfield asked about the invoice.",
    "Name: Dana Whitfield",
    "- follow up in two weeks (see attached)",
    "-1 Please do not paste that here, Dana.",
    "Ticket for Marcus Oyelaran <b>bold</b>",
    "PATIENT: JOHN WHITFIELD, 67 YO MALE",
]


@pytest.mark.parametrize("line", CODE_LINES)
def test_code_lines_are_not_prose(line: str) -> None:
    assert looks_like_code(line)


@pytest.mark.parametrize("line", PROSE_LINES)
def test_prose_lines_are_prose(line: str) -> None:
    assert not looks_like_code(line)


def test_fenced_block_and_blob_are_blanked_with_offsets_kept() -> None:
    blob = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5MA=="
    text = f"Dana wrote:\n```\nx = UserManager()\n```\npayload {blob} ok"
    view = ner_view(text)
    assert len(view) == len(text)
    assert view.startswith("Dana wrote:\n")
    assert "UserManager" not in view and blob not in view
    assert view.count("\n") == text.count("\n")
    assert view.endswith(" ok")
    assert non_prose_spans("just prose here") == []


def test_all_caps_prose_is_recased_same_length() -> None:
    restorer = CaseRestorer(frozenset({"patient", "seen", "by", "at", "the", "male"}), frozenset({"john"}))
    text = "PATIENT JOHN WHITFIELD SEEN BY DR. GARCIA AT THE ICU"
    view = ner_view(text, restorer)
    assert len(view) == len(text)
    assert view == "patient John Whitfield seen by Dr. Garcia at the ICU"
    assert ner_view("Mixed Case Text Stays As It Is", restorer) == "Mixed Case Text Stays As It Is"


@pytest.mark.parametrize("text", [
    "", "PT ADMITTED TO MICU, FIO2 40%", "Pt admitted to the MICU on Tuesday", "ÉTÉ À PARIS ÉTÉ À PARIS",
    "ÀÉÎ abc DEF GHI JKL MNO", "İSTANBUL ſTREET KELVIN \u212a", "ΣΣΣΣ ΑΒΓΔ abc", "\ud800 ABCDEFGHIJKLMNOP",
    "A" * 11, "A" * 12, "AAAAAAAbbb" * 2, "AAAAAAAbbbb" * 2,
])
def test_letter_counts_are_those_of_the_character_by_character_reading(text: str) -> None:
    letters = [c for c in text if c.isalpha() and c.isascii()]
    mostly_upper = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) >= 0.7
    assert is_mostly_upper(text) == mostly_upper
    assert count_upper(text) == len(regex.findall(r"\p{Lu}", text))
