"""The command line, thin: parse, call the library, print. One module per command group
(its file tree mirrors the command tree); exit codes are decided in one place (``app.py``)."""

from chatdlp.cli.app import main

__all__ = ["main"]
