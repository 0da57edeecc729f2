"""chatdlp: a data-loss-prevention scanner for AI chat transcripts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chatdlp")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
