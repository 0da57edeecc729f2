"""The entity table: what chatdlp knows about each entity type, in one place.

A row says how a value of the entity is normalised before it is fingerprinted,
which bounded hint ``--reveal`` may show, how specific its pattern is when spans
overlap, which gold label ``chatdlp eval`` counts it as, and how a documentation
or test value of it is recognised. A new entity is one row here (an entity with
no row gets the defaults: text normalisation, no reveal, an ordinary pattern, its
own name as label, no specimen check).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum

from chatdlp.entities import specimens
from chatdlp.entities.disguise import plain_view


class Normal(Enum):
    """How a value is normalised before it is fingerprinted."""

    TEXT = "text"  # whitespace folded, case folded
    DIGITS = "digits"  # a number however it is written (spaces, dashes, dots)
    ALNUM = "alnum"  # letters and digits only, upper case


class Reveal(str, Enum):
    LAST4 = "last4"
    DOMAIN = "domain"


class Specificity(IntEnum):
    """Which of two overlapping pattern findings wins (secrets and NER guesses are ranked
    by their rule, outside this table)."""

    WEAK_NUMBER = 1  # loose numbers: lose to any other pattern
    PATTERN = 2
    CONTAINING = 3  # formats that contain others (an IBAN's digits can pass Luhn, an IP looks like a phone)


SpecimenCheck = Callable[[str, str, str], bool]  # (value, text before, text after)


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    normal: Normal = Normal.TEXT
    reveal: Reveal | None = None
    specificity: Specificity = Specificity.PATTERN
    label: str | None = None  # the gold label of `chatdlp eval`; None: the entity's own name
    specimen: SpecimenCheck | None = None  # documentation and test values, suppressed by default


_D, _A, _WEAK, _WIDE = Normal.DIGITS, Normal.ALNUM, Specificity.WEAK_NUMBER, Specificity.CONTAINING

_TABLE = (
    Entity("PERSON", label="PERSON", specimen=specimens.placeholder_name),
    Entity("PATIENT_NAME", label="PERSON"),
    Entity("LOCATION", label="LOCATION"),
    Entity("HEALTHCARE_FACILITY", label="LOCATION"),
    Entity("STREET_ADDRESS", label="LOCATION"),
    Entity("POSTAL_CODE", specificity=_WEAK, label="LOCATION"),
    Entity("DATE_TIME", label="DATE"),
    Entity("DATE", label="DATE"),
    Entity("AGE", label="AGE"),
    Entity("AGE_OVER_89", label="AGE"),
    Entity("PHONE_NUMBER", _D, Reveal.LAST4, _WEAK, "PHONE", specimens.fictional_phone),
    Entity("EMAIL_ADDRESS", reveal=Reveal.DOMAIN, specificity=_WIDE, label="EMAIL",
           specimen=specimens.example_email),
    Entity("US_SSN", _D, Reveal.LAST4, label="SSN", specimen=specimens.specimen_ssn),
    Entity("CREDIT_CARD", _D, Reveal.LAST4, label="CREDIT_CARD", specimen=specimens.test_card),
    Entity("IBAN_CODE", _A, Reveal.LAST4, _WIDE, "IBAN", specimens.specimen_iban),
    Entity("IP_ADDRESS", specificity=_WIDE, label="IP", specimen=specimens.documentation_ip),
    Entity("MEDICAL_RECORD_NUMBER", label="ID"),
    Entity("HEALTH_PLAN_ID", label="ID"),
    Entity("US_NPI", _D, label="ID"),
    Entity("MEDICAL_LICENSE", _A, label="ID"),
    Entity("DEA_NUMBER", label="ID"),
    Entity("US_MBI", _A, label="ID"),
    Entity("UK_NHS", _D, specificity=_WEAK, label="ID"),
    Entity("ICD10_CODE", label="ICD10"),
    Entity("US_ITIN", _D, Reveal.LAST4),
    Entity("US_BANK_NUMBER", _D, Reveal.LAST4, _WEAK),
    Entity("ABA_ROUTING_NUMBER", _D),
    Entity("US_PASSPORT", _A, specificity=_WEAK),
    Entity("US_DRIVER_LICENSE", specificity=_WEAK),
)
ENTITIES: Mapping[str, Entity] = {row.name: row for row in _TABLE}


def entity(name: str) -> Entity:
    """The row of ``name`` (the defaults for an entity the table does not name)."""
    row = ENTITIES.get(name)
    return row if row is not None else Entity(name)


_NON_DIGITS = re.compile(r"\D+")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_SPACES = re.compile(r"\s+")


def normalise(name: str, value: str) -> str:
    """``value`` as its entity is compared: equal values give equal fingerprints (a
    disguised value, spelled out or with invisible characters, as its plain form)."""
    view = plain_view(value)
    if view is not None:
        value = view.text
    normal = entity(name).normal
    if normal is Normal.DIGITS:
        return _NON_DIGITS.sub("", value)
    if normal is Normal.ALNUM:
        return _NON_ALNUM.sub("", value).upper()
    return _SPACES.sub(" ", value.strip()).casefold()


def allowed_reveals() -> dict[str, Reveal]:
    """Which hint is allowed for which entity: never more than this."""
    return {row.name: row.reveal for row in _TABLE if row.reveal is not None}


def is_test_value(name: str, value: str, before: str = "", after: str = "") -> bool:
    """True when ``value`` (of entity ``name``) is a documentation or test value, not real data."""
    check = entity(name).specimen
    return check is not None and check(value, before, after)


def label_entities() -> dict[str, frozenset[str]]:
    """Gold label -> the entities that count as it (labelled rows only), in table order."""
    labels: dict[str, set[str]] = {}
    for row in _TABLE:
        if row.label is not None:
            labels.setdefault(row.label, set()).add(row.name)
    return {label: frozenset(names) for label, names in labels.items()}


__all__ = [
    "ENTITIES",
    "Entity",
    "Normal",
    "Reveal",
    "Specificity",
    "allowed_reveals",
    "entity",
    "is_test_value",
    "label_entities",
    "normalise",
]
