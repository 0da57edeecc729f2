"""Refusing regular expressions that can backtrack catastrophically.

The classic shape is an unbounded repeat whose body is itself an unbounded
repeat with nothing else required between iterations: ``(a+)+``, ``(\\w+\\s?)*``,
``(.*)*``. On a near-match these take exponential time. Such patterns are
refused when a policy is loaded. A body with a required separator, such as
``([a-z]+\\.)+``, is safe and allowed. Every pattern also runs with a timeout
at scan time (the ``regex`` module), which catches what this check cannot.
"""

from __future__ import annotations

from typing import Any

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse  # type: ignore[no-redef,unused-ignore]

_REPEATS = tuple(
    op
    for op in (
        sre_constants.MAX_REPEAT,
        sre_constants.MIN_REPEAT,
        getattr(sre_constants, "POSSESSIVE_REPEAT", None),
    )
    if op is not None
)


def _is_repeat(item: Any) -> bool:
    return item[0] in _REPEATS


def _unbounded(item: Any) -> bool:
    high = item[1][1]
    return bool(high == sre_constants.MAXREPEAT or high > 100)


def _optional(item: Any) -> bool:
    return _is_repeat(item) and item[1][0] == 0


def _items(body: Any) -> list[Any]:
    """A repeat body's elements, looking through a group that is the whole body."""
    items = list(body)
    while len(items) == 1 and items[0][0] == sre_constants.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


def _dangerous_body(body: Any) -> bool:
    """The body can match the same text in many ways: nothing but one unbounded repeat
    is required in it (the rest is optional)."""
    items = _items(body)
    required = [i for i in items if not _optional(i)]
    if not required:
        return any(_is_repeat(i) and _unbounded(i) for i in items)
    return len(required) == 1 and _is_repeat(required[0]) and _unbounded(required[0])


def nested_quantifier(pattern: str) -> bool:
    """True when ``pattern`` has a catastrophic nested repeat."""
    return _walk(sre_parse.parse(pattern))


def _walk(parsed: Any) -> bool:
    for item in parsed:
        op, value = item
        if op in _REPEATS:
            if (_unbounded(item) and _dangerous_body(value[2])) or _walk(value[2]):
                return True
        elif op == sre_constants.SUBPATTERN:
            children = [value[-1]]
        elif op == sre_constants.BRANCH:
            children = list(value[1])
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            children = [value[1]]
        else:
            continue
        if op not in _REPEATS and any(_walk(child) for child in children):
            return True
    return False
