"""Which files a ``--policy`` list names: shipped pack names, ``default``, ``+NAME`` and paths.

Kept apart from the loader (which imports pydantic and the schema) so that a run can tell
whether its policy files are the ones an earlier run loaded without loading them
(:meth:`chatdlp.policy.check_cache.PolicyCheckCache.loads_as_before`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from chatdlp.errors import PolicyError

# Shipped packs that apply when no --policy is given.
EXAMPLE_PACK_SUFFIX = ".example"


def _packs_dir() -> Path:
    return Path(str(resources.files("chatdlp") / "policies"))


def shipped_pack_names(include_examples: bool = False) -> list[str]:
    names = sorted(p.stem for p in _packs_dir().glob("*.yaml"))
    if include_examples:
        return names
    return [n for n in names if not n.endswith(EXAMPLE_PACK_SUFFIX)]


DEFAULT_REF = "default"


def resolve_policy_ref(ref: str, relative_to: Path | None = None) -> Path:
    """A pack name (``pii``, in any case) or a path to a YAML file."""
    candidate = Path(ref)
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to / candidate
    if candidate.suffix in {".yaml", ".yml"} or "/" in ref:
        if candidate.is_file():
            return candidate
        raise PolicyError(f"policy {ref}: no such file")
    pack = _packs_dir() / f"{ref.lower()}.yaml"
    if pack.is_file():
        return pack
    names = shipped_pack_names(include_examples=True)
    close = difflib.get_close_matches(ref.lower(), names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    known = ", ".join(names)
    raise PolicyError(f"policy {ref}: not a shipped pack ({known}) nor a YAML file{hint}")


def expand_policy_refs(refs: Sequence[str] | None) -> list[str]:
    """``--policy`` values as the packs to load: none means every shipped pack;
    ``default`` stands for them, and ``+NAME``/``+PATH`` adds NAME to them."""
    if not refs:
        return shipped_pack_names()
    expanded: list[str] = []
    with_defaults = False
    for ref in refs:
        if ref.lower() == DEFAULT_REF:
            with_defaults = True
            continue
        if ref.startswith("+"):
            with_defaults, ref = True, ref[1:]
        expanded.append(ref)
    if with_defaults:
        expanded = [*shipped_pack_names(), *expanded]
    return list(dict.fromkeys(expanded))
