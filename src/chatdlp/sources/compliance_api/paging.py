"""Pagination of the list endpoint, and a push parser for one page's body.

- :func:`page_params`: the first page asks with ``since_timestamp``, every later
  page with ``after`` (never both: the server answers 400).
- :class:`PageParser`: fed the body chunk by chunk as it arrives, it hands back
  each ``data`` item as soon as it is complete, and keeps ``has_more`` and
  ``last_id``. One conversation is built at a time, never the whole page.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ijson

from chatdlp.errors import SourceError
from chatdlp.sources._guard import JsonTextGuard, fault_of

QueryParams = list[tuple[str, str | int | float | bool | None]]

_ITEM = "data.item"
_ITEM_END = frozenset({"end_map", "end_array"})
_CONTAINER_START = frozenset({"start_map", "start_array"})


def page_params(
    cursor: str | None, since_timestamp: int | None, limit: int, users: tuple[str, ...]
) -> QueryParams:
    """Query parameters of one page request: ``after`` and ``since_timestamp`` never together."""
    params: QueryParams = [("limit", str(limit))]
    if cursor is not None:
        params.append(("after", cursor))
    elif since_timestamp is not None:
        params.append(("since_timestamp", str(since_timestamp)))
    params.extend(("users", user) for user in users)
    return params


@dataclass(frozen=True)
class PagingLimits:
    """When a listing gives up, so a hostile or broken server cannot keep a run going:
    a cursor asked for before, ``stale_pages`` pages in a row without an id the last
    pages did not have, more than ``max_pages`` pages, or ``max_seconds`` in all."""

    max_pages: int = 100_000
    max_seconds: float = 6 * 3600.0
    stale_pages: int = 5
    # One response body: a wall-clock deadline, and a floor on throughput after a grace
    # period (the read timeout restarts with every byte: a server dripping a byte every
    # few seconds never times out by it).
    page_seconds: float = 300.0
    min_bytes_per_second: float = 512.0
    grace_seconds: float = 30.0


class BodyDeadline:
    """Started when a response arrives; :meth:`check` after each chunk says why to give up."""

    def __init__(self, limits: PagingLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._started = clock()
        self.received = 0

    def check(self, size: int) -> str | None:
        self.received += size
        elapsed = self._clock() - self._started
        limits = self._limits
        if elapsed > limits.page_seconds:
            return f"the response took more than {limits.page_seconds:,.0f} s"
        if elapsed > limits.grace_seconds and self.received / elapsed < limits.min_bytes_per_second:
            return (f"the server sent {self.received:,} bytes in {elapsed:,.0f} s, under "
                    f"{limits.min_bytes_per_second:,.0f} bytes/s")
        return None


class PageGuard:
    """Checks each move to a next page against :class:`PagingLimits`; raises SourceError."""

    def __init__(self, limits: PagingLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._started = clock()
        self._cursors: set[str] = set()
        self._recent: deque[frozenset[str]] = deque(maxlen=max(1, limits.stale_pages))
        self._stale = 0
        self.pages = 0

    def advance(self, where: str, cursor: str, ids: Iterable[str]) -> None:
        """The page at ``where`` gave ``ids`` and says to go on with ``cursor``."""
        self.pages += 1
        page_ids = frozenset(ids)
        known = frozenset().union(*self._recent) if self._recent else frozenset()
        self._stale = self._stale + 1 if not page_ids - known else 0
        self._recent.append(page_ids)
        limits = self._limits
        if cursor in self._cursors:
            self._give_up(where, "the server sent a cursor it had sent before (a loop)")
        self._cursors.add(cursor)
        if self._stale >= limits.stale_pages:
            self._give_up(where, f"{self._stale} pages in a row without a new id")
        if self.pages >= limits.max_pages:
            self._give_up(where, f"{self.pages:,} pages, the most one run reads "
                          "(CHATDLP_COMPLIANCE_MAX_PAGES)")
        if self._clock() - self._started > limits.max_seconds:
            self._give_up(where, f"listing for more than {limits.max_seconds:,.0f} s, the most one "
                          "run takes (CHATDLP_COMPLIANCE_MAX_SECONDS)")

    def _give_up(self, where: str, reason: str) -> None:
        raise SourceError(f"{where}: has_more is true, but {reason}; stopped after "
                          f"{self.pages:,} page(s), what was read is kept")


class MalformedPage(Exception):
    """The body is not a list envelope, or not JSON. ``position`` is a byte offset."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


def _first_line(exc: Exception) -> str:
    # yajl quotes the input (on the same line, for bytes it could not decode): the kind only.
    return fault_of(exc)


class PageParser:
    """Incremental parser of a list envelope ``{"object": "list", "data": [...], ...}``."""

    def __init__(self) -> None:
        self._events: list[tuple[str, str, Any]] = ijson.sendable_list()
        self._coro = ijson.parse_coro(self._events, use_float=True)
        # Invalid UTF-8 replaced and nesting capped before the parser sees the bytes.
        self.guard = JsonTextGuard()
        self._builder: ijson.ObjectBuilder | None = None
        self._closed = False
        self.position = 0  # bytes fed so far
        self.items = 0  # complete data items so far
        self.saw_data = False
        self.has_more: bool | None = None
        self.last_id: str | None = None

    def feed(self, chunk: bytes) -> tuple[list[Any], MalformedPage | None]:
        """Items completed by this chunk, and the error that stopped parsing, if any.

        Items completed before a syntax error are still returned: nothing read
        is lost.
        """
        start = self.position
        self.position += len(chunk)
        try:
            if text := self.guard.feed(chunk):  # an empty send would end the document
                self._coro.send(text.encode("utf-8"))
        except (ijson.JSONError, ValueError) as exc:
            items, error = self._drain()
            return items, error or MalformedPage(f"malformed JSON: {_first_line(exc)}", start)
        return self._drain()

    def finish(self) -> tuple[list[Any], MalformedPage | None]:
        """The end of the body: a truncated document is an error here."""
        if self._closed:
            return [], None
        self._closed = True
        try:
            if tail := self.guard.feed(b"", final=True):
                self._coro.send(tail.encode("utf-8"))
            self._coro.close()
        except (ijson.JSONError, ValueError) as exc:
            items, error = self._drain()
            return items, error or MalformedPage(
                f"truncated JSON: {_first_line(exc)}", self.position
            )
        items, error = self._drain()
        if error is None and not self.saw_data:
            error = MalformedPage("not a list envelope (no data list)", self.position)
        return items, error

    def _drain(self) -> tuple[list[Any], MalformedPage | None]:
        items: list[Any] = []
        error: MalformedPage | None = None
        for prefix, event, value in self._events:
            if self._builder is not None:
                self._builder.event(event, value)
                if prefix == _ITEM and event in _ITEM_END:
                    items.append(self._builder.value)
                    self._builder = None
            elif prefix == _ITEM:
                if event in _CONTAINER_START:
                    self._builder = ijson.ObjectBuilder()
                    self._builder.event(event, value)
                else:
                    items.append(value)
            elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
                error = MalformedPage("the body is not a JSON object", self.position)
                break
            elif prefix == "data" and event not in ("start_array", "end_array"):
                error = MalformedPage("data is not a list", self.position)
                break
            elif prefix == "data" and event == "start_array":
                self.saw_data = True
            elif prefix == "has_more" and event == "boolean":
                self.has_more = bool(value)
            elif prefix == "last_id" and event == "string":
                self.last_id = str(value)
        del self._events[:]
        self.items += len(items)
        return items, error
