"""Warnings ``policy validate`` prints about how a policy's patterns will run: on the
backtracking engine (and why), unchecked for catastrophic backtracking, or on every text
for want of keywords."""

from __future__ import annotations

import regex

from chatdlp.policy.model import Rule
from chatdlp.policy.regex_plan import plan_pattern
from chatdlp.policy.regex_safety import catastrophic


def rule_warnings(rule: Rule) -> list[str]:
    warnings = []
    for pattern in rule.patterns:
        plan = plan_pattern(pattern.regex)
        where = f"rule {rule.id} pattern {pattern.name}"
        if not plan.on_re2:
            warnings.append(f"{where} runs on the backtracking regex engine ({plan.reason}), "
                            "within the regex timeout and budgets")
            warnings.extend(_unchecked(where, pattern.regex, regex.MULTILINE))
        if not rule.keywords and not plan.keywords:
            warnings.append(f"{where} has no keywords and none can be derived from it: it runs on "
                            "every text (declare 'keywords:' if every match contains one of a few literals)")
    for index, entry in enumerate(rule.allow):
        plan = plan_pattern(entry, ignorecase=True, multiline=False)
        if not plan.on_re2:
            where = f"rule {rule.id} allow[{index}]"
            warnings.append(f"{where} runs on the backtracking regex engine ({plan.reason}), "
                            "within the regex timeout and budgets")
            warnings.extend(_unchecked(where, entry, regex.IGNORECASE))
    return warnings


def _unchecked(where: str, pattern: str, flags: int) -> list[str]:
    try:
        catastrophic(pattern, flags)
    except ValueError:
        return [f"{where} cannot be checked for catastrophic backtracking (syntax only the "
                "regex module reads): only the timeout and budgets bound it"]
    return []
