"""Documentation and test values that are not anyone's data, suppressed by default.

Reserved fictional phone numbers (555-0100 to 555-0199), the example domains
(RFC 2606 / 6761), the documentation IP ranges (RFC 5737 / 3849), loopback and
unspecified addresses, payment networks' published test card numbers, famous
specimen SSNs and IBANs, and placeholder names (John Doe, Foo Bar) in template
contexts. ``Detector(include_test_values=True)`` (``--include-test-values``)
reports them like anything else. Which check applies to which entity is the
entity table's business (``chatdlp.entities``).
"""

from __future__ import annotations

import ipaddress
import re

_NON_DIGITS = re.compile(r"\D")
_FICTIONAL_PHONE = re.compile(r"555[\s.-]?01\d\d\D*$")
_FICTIONAL_DIGITS = re.compile(r"55501\d\d$")
_EXAMPLE_DOMAIN = re.compile(
    r"(?:^|[.@])(?:example\.(?:com|org|net|edu)|[\w-]+\.(?:test|example|invalid|localhost))$", re.IGNORECASE
)
_DOC_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# Published test PANs of Stripe, Braintree, Adyen, PayPal and the card networks.
TEST_CARDS = frozenset({
    "4111111111111111", "4242424242424242", "4012888888881881", "4000056655665556",
    "4222222222222", "4000000000000002", "4000000000000077", "4000000000003220", "4005519200000004",
    "4009348888881881", "4012000033330026", "4012000077777777", "4217651111111119",
    "4500600000000061", "5555555555554444", "5105105105105100", "5200828282828210",
    "5454545454545454", "2223003122003222", "2222400070000005", "378282246310005",
    "371449635398431", "378734493671000", "6011111111111117", "6011000990139424",
    "6011000400000000", "3566002020360505", "3530111333300000", "30569309025904",
    "38520000023237", "36227206271667", "6200000000000005", "5019717010103742",
})
SPECIMEN_SSNS = frozenset({"078051120", "123456789", "111111111", "987654320"})
SPECIMEN_IBANS = frozenset({
    "GB82WEST12345698765432", "DE89370400440532013000", "GB29NWBK60161331926819",
    "FR1420041010050500013M02606", "NL91ABNA0417164300", "ES9121000418450200051332",
    "GB33BUKB20201555555555",
})
PLACEHOLDER_NAMES = frozenset({
    "john doe", "jane doe", "john q. public", "john q public", "richard roe", "jane roe", "baby doe",
    "foo bar", "joe bloggs", "max mustermann", "erika mustermann", "john smith doe",
    "firstname lastname", "first last", "test user",
})
_TEMPLATE_CUE = re.compile(
    r"e\.g\.|example|sample|template|placeholder|dummy|fake|mock|fixture|test|such as|\{\{|\}\}|<[^>]*>|"
    r"\bname\s*=|\$\{|%s|lorem",
    re.IGNORECASE,
)


def _ip_is_reserved_example(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or any(address in n for n in _DOC_NETWORKS)


def fictional_phone(value: str, before: str = "", after: str = "") -> bool:
    compact = _NON_DIGITS.sub("", value)
    return bool(_FICTIONAL_PHONE.search(value.strip()) or _FICTIONAL_DIGITS.search(compact))


def example_email(value: str, before: str = "", after: str = "") -> bool:
    return bool(_EXAMPLE_DOMAIN.search(value.strip().rstrip(".")))


def documentation_ip(value: str, before: str = "", after: str = "") -> bool:
    return _ip_is_reserved_example(value)


def test_card(value: str, before: str = "", after: str = "") -> bool:
    return _NON_DIGITS.sub("", value) in TEST_CARDS


def specimen_ssn(value: str, before: str = "", after: str = "") -> bool:
    return _NON_DIGITS.sub("", value) in SPECIMEN_SSNS


def specimen_iban(value: str, before: str = "", after: str = "") -> bool:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper() in SPECIMEN_IBANS


def placeholder_name(value: str, before: str = "", after: str = "") -> bool:
    name = " ".join(value.lower().split())
    return name in PLACEHOLDER_NAMES and bool(_TEMPLATE_CUE.search(before + " " + after))
