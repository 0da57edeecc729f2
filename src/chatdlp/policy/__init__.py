"""Policies: YAML packs parsed into frozen objects (see ``schema`` and ``loader``).

The names below load on first use: the loader imports pydantic and the schema, which a
rerun over unchanged data never needs.
"""

from typing import TYPE_CHECKING

from chatdlp.lazy import lazy_getattr

if TYPE_CHECKING:
    from chatdlp.policy.loader import load_policies
    from chatdlp.policy.model import Policy, PolicySet, Rule
    from chatdlp.policy.refs import shipped_pack_names

__all__ = ["Policy", "PolicySet", "Rule", "load_policies", "shipped_pack_names"]

__getattr__ = lazy_getattr(__name__, {
    "Policy": "model", "PolicySet": "model", "Rule": "model",
    "load_policies": "loader", "shipped_pack_names": "refs",
}, globals())
