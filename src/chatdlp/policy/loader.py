"""Loading policy files: YAML -> schema -> frozen Policy objects.

Every error is a PolicyError whose message names the file, line and column,
the rule id and the field, says what is wrong and, for a misspelt key, what
was probably meant.

A file is read once, with PyYAML's pure-Python loader; its node tree (the
positions of errors) is composed only when an error needs it. With a
:class:`~chatdlp.policy.check_cache.PolicyCheckCache` (``scan --state``), bytes that
passed before are read with the libyaml loader and their regex checks are skipped,
as long as the data read is the data the pure loader read then.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from chatdlp.errors import PolicyError
from chatdlp.policy.check_cache import PolicyCheckCache, content_digest, data_digest
from chatdlp.policy.model import PatternDef, Policy, PolicySet, Rule
from chatdlp.policy.refs import expand_policy_refs, resolve_policy_ref
from chatdlp.policy.schema import REGEXES_CHECKED, OverrideSpec, PolicySpec, RuleSpec


class PolicyDocument:
    """A policy file's bytes, and its YAML node tree (for the positions of errors),
    composed by the pure-Python loader when an error first asks for it: most loads need none."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    @functools.cached_property
    def node(self) -> yaml.Node | None:
        try:
            return yaml.compose(self.raw.decode("utf-8"), Loader=yaml.SafeLoader)
        except (UnicodeDecodeError, yaml.YAMLError):  # read whole before: cannot happen
            return None


@dataclass
class _Loaded:
    """A pack being loaded: its policy, the packs it extends (all the way up), its overrides."""

    policy: Policy
    ancestors: set[str]
    overrides: dict[str, OverrideSpec]
    document: PolicyDocument


def load_policies(refs: Sequence[str] | None = None, checks: PolicyCheckCache | None = None) -> PolicySet:
    """Load the named packs or files (all shipped packs when none), with what they extend;
    ``default`` and ``+NAME`` as :func:`expand_policy_refs` says. A rule a pack redefines
    replaces the one of a pack it extends; ``overrides`` change or disable rules of others.
    With ``checks``, files that passed the regex checks before are not checked again, and
    the cache is saved once everything loaded."""
    loaded: dict[Path, _Loaded] = {}
    tops = [resolve_policy_ref(ref) for ref in expand_policy_refs(refs)]
    for top in tops:
        _load_with_parents(top, loaded, stack=(), checks=checks)
    policies = _replace_redefined(list(loaded.values()))
    policies = _apply_overrides(policies, list(loaded.values()))
    policy_set = PolicySet(tuple(policies))
    _check_unique_ids(policy_set.policies)
    if checks is not None:
        checks.remember_load(list(refs or ()), tops,
                             {path: pack.document.raw for path, pack in loaded.items()})
        checks.save()
    return policy_set


def _load_with_parents(
    path: Path, loaded: dict[Path, _Loaded], stack: tuple[Path, ...], checks: PolicyCheckCache | None,
) -> set[str]:
    path = path.resolve()
    if path in loaded:
        return {str(path), *loaded[path].ancestors}
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise PolicyError(f"{path}: 'extends' makes a cycle: {chain}")
    spec, document = parse_policy_file(path, checks)
    ancestors: set[str] = set()
    for parent in spec.extends:
        ancestors |= _load_with_parents(
            resolve_policy_ref(parent, path.parent), loaded, (*stack, path), checks
        )
    loaded[path] = _Loaded(_build(spec, path, document), ancestors, dict(spec.overrides), document)
    return {str(path), *ancestors}


def _replace_redefined(packs: list[_Loaded]) -> list[Policy]:
    """A rule id defined again by a pack that extends the first definer: the later one wins."""
    replaced: dict[str, set[str]] = {}  # origin -> rule ids taken over by a descendant
    for pack in packs:
        for other in packs:
            if other.policy.origin in pack.ancestors:
                ids = {r.id for r in pack.policy.rules} & {r.id for r in other.policy.rules}
                replaced.setdefault(other.policy.origin, set()).update(ids)
    return [
        dataclasses.replace(
            p.policy,
            rules=tuple(r for r in p.policy.rules if r.id not in replaced.get(p.policy.origin, set())),
        )
        for p in packs
    ]


def _apply_overrides(policies: list[Policy], packs: list[_Loaded]) -> list[Policy]:
    changes: dict[str, OverrideSpec] = {}
    known = {rule.id for policy in policies for rule in policy.rules}
    for pack in packs:
        for rule_id, override in pack.overrides.items():
            if rule_id not in known:
                close = difflib.get_close_matches(rule_id, sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                reason = (f"no loaded pack defines rule {rule_id}{hint} (extend its pack, or "
                          "give it with --policy +FILE to add to the shipped packs)")
                line, column = _position(pack.document.node, ("overrides", rule_id))
                where = f"{pack.policy.origin}:{line}:{column}" if line else pack.policy.origin
                raise PolicyError(f"{where}: field 'overrides.{rule_id}': {reason}")
            changes[rule_id] = override
    if not changes:
        return policies
    return [dataclasses.replace(policy, rules=tuple(
        _overridden(rule, changes[rule.id]) if rule.id in changes else rule
        for rule in policy.rules
        if rule.id not in changes or changes[rule.id].enabled
    )) for policy in policies]


def _overridden(rule: Rule, override: OverrideSpec) -> Rule:
    return dataclasses.replace(
        rule,
        min_score=rule.min_score if override.min_score is None else override.min_score,
        severity=override.severity or rule.severity,
        allow=rule.allow if override.allow is None else tuple(override.allow),
    )


def parse_policy_file(
    path: Path, checks: PolicyCheckCache | None = None
) -> tuple[PolicySpec, PolicyDocument]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror})") from exc
    content = content_digest(raw) if checks is not None else ""
    if checks is not None and (passed := checks.known(content)) is not None:
        spec = _parse_checked_before(raw, passed)
        if spec is not None:
            checks.remember(content, passed)
            return spec, PolicyDocument(raw)
    try:
        raw.decode("utf-8")
        data = yaml.safe_load(raw)
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PolicyError(f"{where}: {problem}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a policy file is a YAML mapping with 'version', 'name', 'rules'")
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_explain(path, PolicyDocument(raw).node, data, exc)) from None
    if checks is not None:
        checks.remember(content, data_digest(data))
    return spec, PolicyDocument(raw)


def _parse_checked_before(raw: bytes, passed: str) -> PolicySpec | None:
    """Bytes that passed every check before, read the fast way without the regex checks;
    None, for the full way, when the data is not what the full way read then (or on any error)."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        return None
    try:
        data = yaml.load(raw, Loader=loader_class)  # the C twin of SafeLoader: as safe
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or data_digest(data) != passed:
        return None
    try:
        return PolicySpec.model_validate(data, context={REGEXES_CHECKED: True})
    except ValidationError:
        return None  # a registry changed (a validator, Presidio's recognizers): say why, the full way


def _explain(path: Path, node: yaml.Node | None, data: dict[str, Any], exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line, column = _position(node, loc)
        rule_id = _rule_id(data, loc)
        field = _field_name(loc[2:] if rule_id else loc)
        message = _message(error, loc)
        where = f"{path}:{line}:{column}" if line else str(path)
        rule = f" rule {rule_id}" if rule_id else ""
        lines.append(f"{where}:{rule} field '{field}': {message}")
    if len(lines) > 1:
        lines.insert(0, f"{path}: {len(lines)} problems")
    return "\n".join(lines)


def _field_name(loc: tuple[Any, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(whole rule)"


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model: type[BaseModel] = (
            RuleSpec if "rules" in loc else OverrideSpec if len(loc) > 2 and loc[0] == "overrides"
            else PolicySpec
        )
        close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return "required, but missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _rule_id(data: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rule_id = rules[loc[1]].get("id")
            return str(rule_id) if rule_id else f"#{loc[1] + 1}"
    return None


def _position(node: yaml.Node | None, loc: Iterable[Any]) -> tuple[int, int]:
    """1-based line and column of the deepest node ``loc`` reaches."""
    best = node
    current = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            match = next((kv for kv in current.value if kv[0].value == part), None)
            if match is None:
                break
            best, current = match  # point at the key: that is what the reader looks for
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                break
            current = current.value[part]
            best = current
        else:
            break
    if best is None:
        return 0, 0
    return best.start_mark.line + 1, best.start_mark.column + 1


def _build(spec: PolicySpec, path: Path, document: PolicyDocument) -> Policy:
    seen: set[str] = set()
    rules = []
    digest = hashlib.sha256(document.raw)
    for index, rule in enumerate(spec.rules):
        if rule.id in seen:
            raise PolicyError(_where(path, document.node, ("rules", index, "id"), rule.id, "id",
                                     "duplicate rule id"))
        seen.add(rule.id)
        terms = list(rule.terms)
        if rule.terms_file:
            file_terms, file_bytes = _read_terms(path, document, index, rule)
            terms.extend(file_terms)
            digest.update(file_bytes)
        rules.append(
            Rule(
                id=rule.id,
                entity=rule.entity,
                category=rule.category,
                severity=rule.severity,
                min_score=rule.min_score,
                policy=spec.name,
                description=rule.description,
                recognizer=rule.recognizer,
                patterns=tuple(PatternDef(p.name, p.regex, p.score) for p in rule.patterns),
                validators=tuple(rule.validators),
                context_words=tuple(rule.context.words) if rule.context else (),
                context_window=rule.context.window if rule.context else 40,
                context_boost=rule.context.boost if rule.context else 0.0,
                terms=tuple(dict.fromkeys(terms)),
                near_terms=tuple(rule.near.terms) if rule.near else (),
                near_within=rule.near.within if rule.near else 0,
                allow=tuple(rule.allow),
                keywords=tuple(rule.keywords),
                roles=frozenset(rule.roles) if rule.roles is not None else None,
                assistant_introduced=rule.assistant_introduced,
                examples_match=tuple(rule.examples.match),
                examples_no_match=tuple(rule.examples.no_match),
            )
        )
    return Policy(
        name=spec.name,
        version=spec.version,
        description=spec.description,
        rules=tuple(rules),
        origin=str(path),
        sha256=digest.hexdigest(),
    )


def _read_terms(
    path: Path, document: PolicyDocument, index: int, rule: RuleSpec
) -> tuple[list[str], bytes]:
    """One term per line; blank lines and lines starting with # are ignored."""
    assert rule.terms_file is not None
    terms_path = (path.parent / rule.terms_file).resolve()
    loc = ("rules", index, "terms_file")
    try:
        data = terms_path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        reason = f"cannot read terms file {rule.terms_file} ({exc.strerror}; looked in {terms_path.parent})"
        raise PolicyError(_where(path, document.node, loc, rule.id, "terms_file", reason)) from None
    except UnicodeDecodeError as exc:
        reason = f"terms file {rule.terms_file} is not UTF-8 text (byte {exc.start})"
        raise PolicyError(_where(path, document.node, loc, rule.id, "terms_file", reason)) from None
    terms = [line.strip() for line in text.splitlines()]
    return [t for t in terms if t and not t.startswith("#")], data


def _where(
    path: Path, node: yaml.Node | None, loc: tuple[Any, ...], rule_id: str, field: str, reason: str
) -> str:
    line, column = _position(node, loc)
    where = f"{path}:{line}:{column}" if line else str(path)
    return f"{where}: rule {rule_id} field '{field}': {reason}"


def _check_unique_ids(policies: Iterable[Policy]) -> None:
    owner: dict[str, str] = {}
    for policy in policies:
        for rule in policy.rules:
            if rule.id in owner:
                raise PolicyError(
                    f"{policy.origin}: rule {rule.id}: field 'id': already defined in {owner[rule.id]} "
                    "(to change that rule, extend its pack and redefine it, or use 'overrides:')"
                )
            owner[rule.id] = policy.origin
