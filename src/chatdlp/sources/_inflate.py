"""Bounds on decompression: a ZIP member or a gzip/deflate HTTP body stops being read
when what it inflates to passes an absolute size or a ratio to its compressed size.

- ``CHATDLP_MAX_INFLATED_MB``: the most one member or one response body may inflate
  to (default 16,384 MB: far above any real export, far below a bomb's terabytes).
- ``CHATDLP_MAX_INFLATE_RATIO``: the most it may inflate per compressed byte (default
  200; JSON exports compress 5-20 times), checked once it has passed
  :data:`RATIO_FLOOR` (16 MB), so small repetitive files are never refused.

What was read before the limit is kept and scanned; the member or body is named and
counted as a failure, and the rest of the input (other members, files) is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO

from chatdlp.errors import ConfigError

MB = 1024 * 1024
DEFAULT_MAX_INFLATED_MB = 16 * 1024
DEFAULT_MAX_RATIO = 200.0
RATIO_FLOOR = 16 * MB
BYTES_ENV = "CHATDLP_MAX_INFLATED_MB"
RATIO_ENV = "CHATDLP_MAX_INFLATE_RATIO"


def _number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None
    if not value >= minimum:  # NaN too
        raise ConfigError(f"{name} must be at least {minimum:g}")
    return value


class InflateLimitExceeded(Exception):
    """A compressed member or body inflated past :class:`InflateLimits`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InflateLimits:
    max_bytes: int = DEFAULT_MAX_INFLATED_MB * MB
    max_ratio: float = DEFAULT_MAX_RATIO
    ratio_floor: int = RATIO_FLOOR

    @classmethod
    def from_environment(cls) -> InflateLimits:
        return cls(int(_number(BYTES_ENV, DEFAULT_MAX_INFLATED_MB, 1) * MB),
                   _number(RATIO_ENV, DEFAULT_MAX_RATIO, 1))

    def check(self, inflated: int, compressed: int) -> str | None:
        """Why ``inflated`` bytes from ``compressed`` ones are too many (None: they are not)."""
        if inflated > self.max_bytes:
            return f"inflates past {self.max_bytes // MB:,} MB ({BYTES_ENV})"
        if inflated > self.ratio_floor and inflated > self.max_ratio * max(compressed, 1):
            return (f"inflates more than {self.max_ratio:g} times its compressed size "
                    f"({RATIO_ENV})")
        return None


class BoundedInflate:
    """A decompressing stream (a ZIP member) that raises :class:`InflateLimitExceeded`
    once what it gave passes the limits for its ``compressed`` size."""

    def __init__(self, raw: IO[bytes], compressed: int, limits: InflateLimits) -> None:
        self._raw = raw
        self._compressed = compressed
        self._limits = limits
        self.inflated = 0

    def _count(self, data: bytes) -> bytes:
        self.inflated += len(data)
        if (reason := self._limits.check(self.inflated, self._compressed)) is not None:
            raise InflateLimitExceeded(reason)
        return data

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # never all at once
            size = 1024 * 1024
        return self._count(self._raw.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._raw.readline(size if size >= 0 else 1024 * 1024))

    def close(self) -> None:
        self._raw.close()
