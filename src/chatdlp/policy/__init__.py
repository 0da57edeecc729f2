"""Policies: YAML packs parsed into frozen objects (see ``schema`` and ``loader``)."""

from chatdlp.policy.loader import load_policies, shipped_pack_names
from chatdlp.policy.model import Policy, PolicySet, Rule

__all__ = ["Policy", "PolicySet", "Rule", "load_policies", "shipped_pack_names"]
