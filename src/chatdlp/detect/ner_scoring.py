"""Scores for NER spans that mean something.

Presidio gives every spaCy entity the same 0.85, so a threshold cannot tell
"Dr. Whitfield" from "UserManager". :func:`ner_score` moves the score by what
is around and inside the span: name cues (Mr., Dr., patient, Name:, a greeting
or a sign-off) raise a PERSON; identifiers (snake_case, camelCase, dotted
paths, digits), all-lower-case spans, lone tokens, common English words and
code-ish surroundings lower it. Rules then cut with their own ``min_score``.

Name evidence (:class:`~chatdlp.detect.names.NameLexicon`) takes back the
penalties that are wrong for names: a lone listed first name ("Einar said"), a
surname with a particle or a hyphen (``McDonald``, ``Delacroix-Boyd``), a first
name and surname in lower case ("leah holmberg"). Code nearby lowers a score only
when it is next to the span, not anywhere on its line ("Note for Maria Gonzalez"
after a pasted ``x = None``).
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from chatdlp.detect.names import NAME_WORD, TITLES, NameLexicon, opens_sentence
from chatdlp.detect.places import PlaceFinder

_LINE_WINDOW = 160
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})

_PERSON_CUE_BEFORE = regex.compile(
    r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|sir|madam|miss)\.?\s*$"
    r"|\b(?:patient|pt|name|named|(?:first|last|maiden|full|middle)?\s*name\s+is|"
    r"client|customer|employee|applicant|member|resident|guardian|"
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
# Another capitalised word next to the span in a list: "Schulz, Strickland and Matthews".
_LIST_BEFORE = regex.compile(r"\p{Lu}[\p{L}'’-]+(?:[ \t]*,[ \t]*|,?[ \t]+(?:and|or|&)[ \t]+)$")
_LIST_AFTER = regex.compile(r"^(?:[ \t]*,[ \t]*|,?[ \t]+(?:and|or|&)[ \t]+)\p{Lu}\p{Ll}")
_PLACE_ABBREVIATIONS = frozenset({"US", "USA", "UK", "UAE", "EU", "NYC", "DC", "LA", "SF", "PRC", "DRC"})
_NOT_PERSONAL_PLACES = frozenset({
    "earth", "moon", "mars", "venus", "jupiter", "saturn", "mercury", "sun", "world", "universe",
    "galaxy", "milky way", "space", "outer space", "heaven", "hell", "internet", "web", "cloud",
})
_SIGNOFF_LINE = regex.compile(r"(?im)^\s*(?:--\s*|best|regards|thanks|cheers|sincerely)[\s,!]*$")
_IDENTIFIER = regex.compile(r"[_./\\()\[\]{}<>=:@#$%^&*+|~`\d]|[a-z][A-Z]|^[A-Z]{2,}[a-z]")
# A semicolon followed by a word is prose ("Asya's kid; and everybody"), not code.
_CODE_CONTEXT = regex.compile(
    r"[{}=`]|;(?![ \t]+\p{L})|::|->|\w\(|\b(?:def|class|import|return|function|null|None)\b"
)
_AFTER_LOWER_WORD = regex.compile(r"(?<![\w.])\p{Ll}+[ \t]+$")  # "the Jensen novel"
_INITIAL = regex.compile(r"\p{Lu}\.?")  # a middle initial: "Gladys L. Leblanc"
_CODE_WINDOW = 12  # characters each side of a span in which code lowers its score


def ner_score(
    entity: str, text: str, start: int, end: int, base: float, is_common_word: Callable[[str], bool],
    lexicon: NameLexicon | None = None, places: PlaceFinder | None = None, caseless: bool = False,
    care: bool = False, evidence: bool = False,
) -> float:
    """A score for an NER span in ``text``, starting from Presidio's ``base``; ``caseless``:
    the text is written in ALL CAPS or without capitals; ``care``: it holds a clinical marker
    (:func:`~chatdlp.detect.clinical.is_clinical` with one), and its misspelt shorthand and
    product names are no evidence of a name ("as per Carevue", "Banadryl given"); ``evidence``:
    the name finder has two kinds of evidence for a PERSON here (a listed first name and
    surname, a strong cue, a list of names), so one word or lower case does not lower it."""
    value = text[start:end]
    words = value.split()
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    # The span's line, bounded: a 100,000-character line must not be searched per entity.
    line_start = text.rfind("\n", max(0, start - _LINE_WINDOW), start) + 1 or max(0, start - _LINE_WINDOW)
    score = base
    person = entity == "PERSON"
    # Name words (McDonald, O'Brien, Delacroix-Boyd) are not identifiers.
    shape = " ".join(
        w for w in words if not (person and (NAME_WORD.fullmatch(w.strip(".,")) or _INITIAL.fullmatch(w)))
    )
    if _IDENTIFIER.search(shape.replace(". ", " ").replace("'", "").replace("-", "")):
        score -= 0.4
    # A place the gazetteer knows, or a word of five letters or more right after a place cue
    # in text with case ("based in ESPOO"; not "in BP", "in SYNCH" in a note in capitals):
    # its case says nothing against it.
    place = entity == "LOCATION" and places is not None and (places.is_listed(value) or (
        not caseless and len(value) > 4 and places.cued(text, start) and not is_common_word(value.lower())
    ))
    running = _AFTER_LOWER_WORD.search(before) is not None
    listed = person and (evidence or (
        lexicon is not None and _listed_name(words, lexicon, caseless, running) and not (
            len(words) == 1 and lexicon.is_world(words[0].strip(".,'’")) and opens_sentence(text, start, end)
        )
    ))
    if value == value.lower() and not listed and not place:
        score -= 0.35
    # In ALL-CAPS notes the case says nothing: a name needs a listed name or a cue.
    caps_unlisted = person and value.isupper() and not (
        lexicon is not None and any(lexicon.is_first(w) or lexicon.is_last(w) for w in words)
    )
    near = text[max(line_start, start - _CODE_WINDOW) : end + _CODE_WINDOW].split("\n")[0]
    if _CODE_CONTEXT.search(near):
        score -= 0.15
    if person:
        cue = bool(_PERSON_CUE_BEFORE.search(before) or _PERSON_CUE_AFTER.match(after))
        signature = bool(_SIGNOFF_LINE.search(text[max(0, line_start - 30) : line_start]))
        if len(words) == 1 and lexicon is not None and lexicon.is_product(value):
            score -= 0.3  # "hey, Kafka keeps timing out": the product, cue or not
        elif cue or signature:
            score += 0.1
        elif caps_unlisted or (value.isupper() and len(value.replace(" ", "")) <= 3):
            score -= 0.3  # "LE", "SR": abbreviations
        elif not listed:
            in_list = bool(_LIST_BEFORE.search(before) or _LIST_AFTER.match(after))
            # A word of no English vocabulary, written as a name where case marks names
            # ("Unlike the Dratchev novel"): the model's PERSON is not a lone common word.
            foreign = (
                len(words) == 1 and not caseless and not care and lexicon is not None
                and NAME_WORD.fullmatch(value) is not None and not lexicon.is_ordinary(value)
                and not opens_sentence(text, start, end)
            )
            if len(words) == 1 and not in_list and not foreign:
                score -= 0.15
            common = lexicon.is_common if lexicon is not None else is_common_word
            # In a list of names, a listed surname that is also a word is a name ("Willis and Green").
            listed_in_list = in_list and lexicon is not None and all(
                lexicon.is_first(w) or lexicon.is_last(w) for w in words
            )
            if all(common(w.lower().strip(".,'")) for w in words) and not listed_in_list:
                score -= 0.2
    elif entity in ("LOCATION", "ORGANIZATION") and len(words) == 1 and is_common_word(
        words[0].lower().strip(".,'")
    ):
        score -= 0.1
    if entity == "LOCATION" and value.lower().removeprefix("the ").strip(".,") in _NOT_PERSONAL_PLACES:
        score -= 0.5  # "Earth", "the Moon": places that say nothing about anyone
    if entity == "LOCATION" and value.isupper() and not place:
        # ALL-CAPS words are abbreviations (BP, NS, ER) and, in notes written in capitals,
        # drugs and devices the re-cased text makes look like places (PROPOFOL, QUINTON).
        if len(words) == 1 and len(value) <= 4 and value.strip(".") not in _PLACE_ABBREVIATIONS:
            score -= 0.3
        elif len(words) == 1:
            score -= 0.2
    return max(0.0, min(1.0, score))


def _listed_name(
    words: list[str], lexicon: NameLexicon, caseless: bool = False, running: bool = False
) -> bool:
    """A listed first name or surname alone, or a listed first name and surname, not both
    ordinary words; ``running``: the words follow a lower-case word."""
    clean = [w.strip(".,'’") for w in words if len(w.strip(".,'’")) > 1]
    while clean and clean[0].lower() in TITLES:  # "mr. larry lombardo": the title is no name
        clean = clean[1:]
    if not clean:
        return False
    if len(clean) == 1:  # a lone name in lower case is not evidence enough ("max dose")
        # A lone surname only where case marks names ("Unlike the Jensen novel"; not
        # "RIGHT HICKMAN" in a note in capitals), and one that is also a noun only in running
        # text, after a lower-case word ("Lung sounds coarse" opening a sentence, "# Runner
        # token" in a comment are nouns).
        word = clean[0]
        surname = not caseless and not word.isupper() and lexicon.is_last(word) and (
            not lexicon.is_ordinary(word) or running
        )
        return word[0].isupper() and (lexicon.is_first(word) or surname) and lexicon.is_name(word)
    return lexicon.is_first(clean[0]) and lexicon.is_last(clean[-1]) and (
        lexicon.is_name(clean[0]) or lexicon.is_name(clean[-1])
    )
