"""Sources: each turns one SOURCE argument into a stream of Conversations.

``open_source`` maps a SOURCE string to a source object; every source has a
``name`` and a ``conversations(diagnostics)`` generator.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from chatdlp.errors import ConfigError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources._guard import clean_conversation
from chatdlp.sources.files import DirectorySource, FileSource, StreamSource

if TYPE_CHECKING:
    from chatdlp.sources.compliance_api import ComplianceOptions


class ConversationSource(Protocol):
    @property
    def name(self) -> str: ...

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]: ...


def _open_compliance_api(spec: str, compliance: ComplianceOptions | None) -> ConversationSource:
    from chatdlp.sources.compliance_api import ComplianceOptions
    from chatdlp.sources.compliance_api.workspace import open_from_options

    return open_from_options(spec, compliance if compliance is not None else ComplianceOptions())


# SOURCE scheme -> how to open it (a live source is imported only when asked for).
SCHEMES: dict[str, Callable[[str, ComplianceOptions | None], ConversationSource]] = {
    "compliance": _open_compliance_api,
}


def open_source(
    spec: str,
    stdin: IO[bytes] | None = None,
    compliance: ComplianceOptions | None = None,
) -> ConversationSource:
    """The source for one SOURCE argument; ConfigError when it cannot exist.

    ``compliance://WORKSPACE_ID`` reads the live API with ``compliance`` (the CLI's
    API options) and the settings in the environment; other sources ignore it.
    """
    if spec == "-":
        return StreamSource(stdin if stdin is not None else sys.stdin.buffer)
    scheme, separator, _ = spec.partition("://")
    if separator:
        opener = SCHEMES.get(scheme)
        if opener is None:
            raise ConfigError(f"{spec}: unsupported source scheme")
        return opener(spec, compliance)
    path = Path(spec)
    if path.is_dir():
        return DirectorySource(path)
    if path.is_file():
        return FileSource(path)
    raise ConfigError(f"{spec}: no such file or directory")


__all__ = [
    "ConversationSource", "DirectorySource", "FileSource", "StreamSource", "clean_conversation",
    "open_source",
]
