"""Scores for NER spans that mean something.

Presidio gives every spaCy entity the same 0.85, so a threshold cannot tell
"Dr. Whitfield" from "UserManager". :func:`ner_score` moves the score by what
is around and inside the span: name cues (Mr., Dr., patient, Name:, a greeting
or a sign-off) raise a PERSON; identifiers (snake_case, camelCase, dotted
paths, digits), all-lower-case spans, lone tokens, common English words and
code-ish surroundings lower it. Rules then cut with their own ``min_score``.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

_LINE_WINDOW = 160
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})

_PERSON_CUE_BEFORE = regex.compile(
    r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|sir|madam|miss)\.?\s*$"
    r"|\b(?:patient|pt|name|named|client|customer|employee|applicant|member|resident|guardian|"
    r"mother|father|wife|husband|son|daughter|spouse|contact|attending|physician|surgeon|nurse|"
    r"np|pa|rn|md|provider|referred by|seen by|signed|signature|electronically signed by|"
    r"author|from|to|cc|dear|hi|hello|hey|thanks|thank you|regards|cheers|best|sincerely|"
    r"colleague|manager|candidate|tenant|student|caller|called|spoke with|met with|"
    r"talked to|ask|asked|email|emailed|call|cc'd|by)\b[\s:,.#-]*$)"
)
_PERSON_CUE_AFTER = regex.compile(
    r"^(?:,?\s*(?:MD|M\.D\.|DO|RN|NP|PA-C|PhD|Jr\.?|Sr\.?|III)\b|\s+(?:said|says|wrote|called|"
    r"is\s+a\s+\d+|was\s+admitted|was\s+seen|presented|reports|denies|complains|\(\s*\d+\s*y))",
    flags=regex.IGNORECASE,
)
_SIGNOFF_LINE = regex.compile(r"(?im)^\s*(?:--\s*|best|regards|thanks|cheers|sincerely)[\s,!]*$")
_IDENTIFIER = regex.compile(r"[_./\\()\[\]{}<>=:@#$%^&*+|~`\d]|[a-z][A-Z]|^[A-Z]{2,}[a-z]")
_CODE_CONTEXT = regex.compile(r"[{};=`]|::|->|\w\(|\b(?:def|class|import|return|function|null|None)\b")


def ner_score(
    entity: str, text: str, start: int, end: int, base: float, is_common_word: Callable[[str], bool]
) -> float:
    """A score for an NER span in ``text``, starting from Presidio's ``base``."""
    value = text[start:end]
    words = value.split()
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    # The span's line, bounded: a 100,000-character line must not be searched per entity.
    line_start = text.rfind("\n", max(0, start - _LINE_WINDOW), start) + 1 or max(0, start - _LINE_WINDOW)
    line_end = text.find("\n", end, end + _LINE_WINDOW)
    line = text[line_start : min(len(text), end + _LINE_WINDOW) if line_end < 0 else line_end]
    score = base
    if _IDENTIFIER.search(value.replace(". ", " ").replace("'", "").replace("-", "")):
        score -= 0.4
    if value == value.lower():
        score -= 0.35
    if _CODE_CONTEXT.search(line):
        score -= 0.15
    if entity == "PERSON":
        cue = bool(_PERSON_CUE_BEFORE.search(before) or _PERSON_CUE_AFTER.match(after))
        signature = bool(_SIGNOFF_LINE.search(text[max(0, line_start - 30) : line_start]))
        if cue or signature:
            score += 0.1
        else:
            if len(words) == 1:
                score -= 0.15
            if all(is_common_word(w.lower().strip(".,'")) for w in words):
                score -= 0.2
    elif entity in ("LOCATION", "ORGANIZATION") and len(words) == 1 and is_common_word(
        words[0].lower().strip(".,'")
    ):
        score -= 0.1
    return max(0.0, min(1.0, score))
