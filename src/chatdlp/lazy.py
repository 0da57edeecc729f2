"""Names a package loads only when they are first used (a module ``__getattr__``).

A rerun over unchanged data must not pay for the live API's HTTP client or the sinks'
retry library: their packages name what they export in a table, and the modules behind
those names are imported on first access.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``names`` maps each lazy name to the
    submodule that defines it; a loaded name is kept in ``namespace`` (the package's
    globals), so it is imported once."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
