"""chatdlp: a data-loss-prevention scanner for AI chat transcripts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata when first asked for: importing
    # importlib.metadata costs more than some whole commands (a rerun with --state).
    if name != "__version__":
        raise AttributeError(f"module 'chatdlp' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("chatdlp")
    except PackageNotFoundError:  # running from a source tree without an install
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value


__all__ = ["__version__"]
