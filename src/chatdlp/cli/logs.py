"""``-v``/``--debug``: what chatdlp does, on stderr. Messages carry names, counts and paths,
never a value from the data; a filter masks anything that looks like one all the same."""

from __future__ import annotations

import logging
import re
import sys

# Long digit runs (card, account, id numbers), e-mail addresses, key-like tokens.
_VALUE_LIKE = re.compile(
    r"(?:\d[ -]?){9,}\d|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[A-Za-z0-9_\-]{32,}\b"
)


class NoValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _VALUE_LIKE.sub("[MASKED]", record.getMessage())
        record.args = ()
        return True


def configure_logging(level: int) -> None:
    logger = logging.getLogger("chatdlp")
    if any(isinstance(f, NoValues) for h in logger.handlers for f in h.filters):
        logger.setLevel(min(level, logger.level or level))
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("chatdlp: %(levelname)s: %(name)s: %(message)s"))
    handler.addFilter(NoValues())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # third-party loggers (httpx logs URLs) stay at their default
