"""What NER sees: prose only, in a case it can read, at the original offsets.

Chat messages mix prose with pasted code, logs, stack traces, JSON and base64
blobs. Pattern rules run on the whole text; the NER model only earns its cost
(and its false alarms: class names as people, module paths as places) on prose.
:func:`ner_view` returns a copy of the text *of the same length* in which

- non-prose is blanked: every character of a fenced block, a code/log/stack
  line or a long base64/hex token becomes a space (newlines are kept), so spaCy
  tokenizes each blanked line into one whitespace token and its NER spends
  nearly nothing there; entity offsets in the view are offsets in the text;
- mostly upper-case prose (ALL-CAPS clinical notes) is re-cased word by word:
  common English words lower-case, likely names and other words Titlecase,
  short acronyms left alone. Case changes of ASCII letters keep the length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import regex

_FENCE = regex.compile(r"^[ \t]*(```|~~~)")
# Lines that are code, logs, stack traces, shell sessions or structured data.
_CODE_LINE = regex.compile(
    r"""^[ \t]*(?:
        (?:import|from)\s+[\w.]+(?:\s+import\b|\s*$|\s+as\b)
      | (?:def|class|return|elif|except|raise|yield|async\s+def|await|lambda|try:|finally:|with\s.*:$)\b
      | (?:const|let|var|function|public|private|protected|static|void|func|package|using|namespace)\s
      | \#include|\#!/|@\w+(?:\(|$)
      | (?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\s.+(?:FROM|INTO|TABLE|SET|WHERE|AS)\b
      | (?:\$|>>>|\.\.\.|PS>|[\w@.-]+[$\#])\s
      | (?:pip|npm|yarn|git|docker|kubectl|curl|wget|sudo|cd|ls|cat|export|helm|terraform|aws|gcloud|az)\s+\S
      | Traceback\s\(most\srecent\scall\slast\)
      | File\s"[^"]*",\sline\s\d+
      | at\s[\w$.<>]+\(.*\)$
      | \d{4}-\d{2}-\d{2}[T\s]\d{2}:\d{2}(?::\d{2})?
      | \[?(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\]?[\s:]
      | [\w.]+(?:Error|Exception|Warning):\s
      | [{}\[\]()<>][,;]?$
      | "[^"]+"\s*:\s
      | </?[a-zA-Z][\w-]*(?:\s[^>]*)?>.*>\s*$
      | [\w.-]+\s*=\s*\S
      | -{1,2}[A-Za-z][\w-]*(?:[\s=]|$)
      | \|.*\|$
    )""",
    regex.VERBOSE,
)
_CODE_CHARS = regex.compile(r"[(){}\[\];=$\\|`]")
_ENDS_LIKE_CODE = regex.compile(r"[;{(]\s*$|\w\([^()]*\)\s*[;:]?\s*$")
_BLOB = regex.compile(r"[A-Za-z0-9+/=_-]{40,}")
_ASCII_WORD = regex.compile(r"[A-Za-z][A-Za-z']*")


def _line_spans(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for line in text.splitlines(keepends=True):
        end = start + len(line.rstrip("\r\n"))
        yield start, end
        start += len(line)


def looks_like_code(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _CODE_LINE.match(line):
        return True
    symbols = len(_CODE_CHARS.findall(stripped))
    if symbols >= 3 and symbols / len(stripped) >= 0.08:
        return True
    return bool(_ENDS_LIKE_CODE.search(stripped) and symbols >= 2)


def non_prose_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges that are not prose: fenced blocks, code-like lines, long blobs."""
    spans: list[tuple[int, int]] = []
    in_fence = False
    for start, end in _line_spans(text):
        line = text[start:end]
        if _FENCE.match(line):
            spans.append((start, end))
            in_fence = not in_fence
            continue
        if in_fence or looks_like_code(line):
            spans.append((start, end))
            continue
        spans.extend(
            (start + m.start(), start + m.end()) for m in _BLOB.finditer(line) if _is_blob(m.group())
        )
    return spans


def _is_blob(token: str) -> bool:
    # A long run with digits and letters, not a word or a long identifier of words.
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


# Byte tables for counting ASCII letters in C (bytes.translate), not character by character.
_NOT_ASCII_LETTER = bytes(b for b in range(128) if not chr(b).isalpha())
_NOT_ASCII_UPPER = bytes(b for b in range(128) if not chr(b).isupper())
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))
_UNICODE_UPPER = regex.compile(r"\p{Lu}")


def is_mostly_upper(text: str) -> bool:
    """At least 70% of the ASCII letters (12 or more) are capitals."""
    letters = text.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTER)
    if len(letters) < 12:
        return False
    return len(letters.translate(None, _ASCII_LOWER)) / len(letters) >= 0.7


def count_upper(text: str) -> int:
    """How many capital letters (``\\p{Lu}``) ``text`` holds."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NOT_ASCII_UPPER))
    return len(_UNICODE_UPPER.findall(text))


def _load_words(name: str) -> frozenset[str]:
    raw = (resources.files("chatdlp.detect") / "data" / name).read_text(encoding="utf-8")
    return frozenset(
        word for line in raw.splitlines() if not line.startswith("#") for word in line.split()
    )


_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                ("ing", "e"), ("ly", ""), ("ily", "y"), ("er", ""), ("est", ""), ("ation", "e"))
TITLES = frozenset({"mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr"})


@dataclass(frozen=True)
class CaseRestorer:
    """Re-cases ALL-CAPS words: names Titlecase, common words lower-case, acronyms kept."""

    common_words: frozenset[str]
    names: frozenset[str]

    @classmethod
    def for_pipeline(cls, nlp: Any) -> CaseRestorer:
        common: set[str] = set()
        try:
            from spacy.lang.en.stop_words import STOP_WORDS

            common |= set(STOP_WORDS)
            lemmatizer = nlp.get_pipe("lemmatizer")
            index = lemmatizer.lookups.get_table("lemma_index")
            for words in index.values():
                common.update(w for w in words if w.isalpha())
            for table in lemmatizer.lookups.get_table("lemma_exc").values():
                common.update(w for w in table if w.isalpha())
        except (KeyError, ValueError, ImportError, AttributeError):
            pass  # a pipeline without lookup tables: every long word becomes Titlecase
        return cls(frozenset(common), _load_words("names.txt"))

    def word(self, word: str) -> str:
        if not word.isupper() or len(word) < 2:
            return word
        lower = word.lower()
        if lower in TITLES or lower in self.names:
            return word[0] + lower[1:]
        if self._common(lower):
            return lower
        if len(word) <= 3:
            return word  # BP, MRN, ICU: acronyms
        return word[0] + lower[1:]

    def _common(self, lower: str) -> bool:
        if lower in self.common_words:
            return True
        for suffix, replacement in _INFLECTIONS:
            if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
                stem = lower[: -len(suffix)] + replacement
                if stem in self.common_words:
                    return True
        return False

    def restore(self, text: str) -> str:
        return str(_ASCII_WORD.sub(lambda m: self.word(m.group()), text))


def ner_view(text: str, restorer: CaseRestorer | None = None) -> str:
    """``text`` with non-prose blanked and ALL-CAPS prose re-cased; same length, same offsets."""
    chars = list(text)
    for start, end in non_prose_spans(text):
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    view = "".join(chars)
    if restorer is not None and is_mostly_upper(view):
        view = restorer.restore(view)
    if len(view) != len(text):  # cannot happen for ASCII re-casing; never trade offsets
        return text
    return view
