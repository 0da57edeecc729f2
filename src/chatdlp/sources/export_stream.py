"""An export array read node by node: one conversation never has to fit in memory.

``conversations.json`` is streamed as parser events. Each conversation's fields
other than ``mapping`` are built as values (they are small; strings are capped by
the guard); its ``mapping`` is read one node at a time, each node turned into its
message at once. The messages of a conversation are handed out in parts of at most
:data:`PART_CHARACTERS` characters (or :data:`PART_MESSAGES` messages): consecutive
Conversations with the same id, the title in the first, the update time in the last,
every part after the first marked ``continued`` (the summary counts the conversation once).

A message needs its conversation's id, which OpenAI's exports write after the
mapping. When a conversation outgrows one part before its id has been read, and
the input can be opened again (a file, a ZIP member), a second parser reads ahead
in its own copy of the input to that conversation's end and takes its id, title,
times and GPT id (events only, nothing else built; it only moves forward, so a whole
run costs at most one more parse of the input). From a pipe, the conversation is
held until its id arrives, as before.

Node ids and parents are kept as each message carries them (``parent_id``); no
branch is resolved here, so every node is scanned whatever branch it is on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson

from chatdlp.records import Conversation, Diagnostics, Message
from chatdlp.sources import chatgpt_export
from chatdlp.sources._guard import GuardedReader
from chatdlp.sources._values import as_str

PART_CHARACTERS = 4 * 1024 * 1024
PART_MESSAGES = 2048
_HEADER_KEYS = frozenset({"id", "conversation_id", "title", "create_time", "update_time", "gizmo_id"})
_START = frozenset({"start_map", "start_array"})
_END = frozenset({"end_map", "end_array"})

Event = tuple[str, str, Any]
Reopen = Callable[[], IO[bytes]]


def _value(events: Iterator[Event], first: Event) -> Any:
    """The whole value that starts with ``first``."""
    _, event, value = first
    if event not in _START:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    while depth:
        _, event, value = next(events)
        builder.event(event, value)
        if event in _START:
            depth += 1
        elif event in _END:
            depth -= 1
    return builder.value


def _skip(events: Iterator[Event], first: Event) -> None:
    depth = 1 if first[1] in _START else 0
    while depth:
        event = next(events)[1]
        if event in _START:
            depth += 1
        elif event in _END:
            depth -= 1


class _ReadAhead:
    """A second parser over the same input that gives the header fields of item N."""

    def __init__(self, reopen: Reopen) -> None:
        self._stream = reopen()
        self._events: Iterator[Event] = ijson.parse(GuardedReader(self._stream), use_float=True)
        self._index = -1
        self._started = False

    def header(self, index: int) -> dict[str, Any] | None:
        if index <= self._index:  # passed already (a failed read ahead is not retried)
            return None
        try:
            if not self._started:
                self._started = True
                if next(self._events)[1] != "start_array":
                    return None
            while self._index < index - 1:  # skip the items before it
                first = next(self._events)
                if first[1] == "end_array":
                    return None
                self._index += 1
                _skip(self._events, first)
            first = next(self._events)
            self._index += 1
            if first[1] != "start_map":
                _skip(self._events, first)
                return None
            fields: dict[str, Any] = {}
            while (event := next(self._events))[1] == "map_key":
                start = next(self._events)
                if event[2] in _HEADER_KEYS:
                    fields[event[2]] = _value(self._events, start)
                else:
                    _skip(self._events, start)
            return fields
        except (StopIteration, ijson.JSONError, ValueError, RecursionError):
            return None

    def close(self) -> None:
        self._stream.close()


class _Conversation:
    """One export conversation as its events arrive: messages out in bounded parts."""

    def __init__(self, index: int, source: str, where: str, diagnostics: Diagnostics,
                 read_ahead: Callable[[int], dict[str, Any] | None]) -> None:
        self.index = index
        self.source = source
        self.where = where
        self.diagnostics = diagnostics
        self.fields: dict[str, Any] = {}
        self._read_ahead = read_ahead
        self._header: dict[str, Any] | None = None  # id and the rest, once known
        self._asked = False  # the read ahead was tried (once)
        self._pending: list[Message] = []
        self._characters = 0
        self._parts = 0
        self.nodes = 0

    def _known(self) -> dict[str, Any] | None:
        if self._header is None and ("id" in self.fields or "conversation_id" in self.fields):
            self._header = self.fields  # the id came before the mapping
        if self._header is None and not self._asked:
            self._asked = True
            self._header = self._read_ahead(self.index)
        return self._header

    def node(self, position: int, node_id: str, node: Any) -> Iterator[Conversation]:
        self.nodes += 1
        record = {"mapping": {node_id: node}}  # the builder reads one node at a time
        part = chatgpt_export.conversation_from_export(record, self.source, self.where,
                                                       self.diagnostics, position=position,
                                                       with_title=False)
        if part is None:
            return
        for message in part.messages:
            self._pending.append(message)
            self._characters += len(message.text)
        if self._characters >= PART_CHARACTERS or len(self._pending) >= PART_MESSAGES:
            header = self._known()
            if header is not None:
                yield from self._flush(header, last=False)

    def end(self) -> Iterator[Conversation]:
        yield from self._flush(self.fields, last=True)  # every field has been read now

    def _flush(self, header: dict[str, Any], last: bool) -> Iterator[Conversation]:
        shell = chatgpt_export.conversation_from_export(
            {k: v for k, v in header.items() if k in _HEADER_KEYS} | {"mapping": {}},
            self.source, self.where, self.diagnostics,
            has_nodes=self.nodes > 0, with_title=self._parts == 0,
        )
        messages, self._pending, self._characters = self._pending, [], 0
        if shell is None:
            return
        gpt_id = as_str(header.get("gizmo_id"))
        moved = [dataclasses.replace(m, conversation_id=shell.conversation_id, gpt_id=gpt_id)
                 for m in messages]
        self._parts += 1
        yield dataclasses.replace(shell, messages=shell.messages + tuple(moved),
                                  updated_at=shell.updated_at if last else None,
                                  continued=self._parts > 1)


def stream_export_array(
    reader: GuardedReader, source: str, diagnostics: Diagnostics,
    classify: Callable[[Any, str], Iterator[Conversation]], reopen: Reopen | None = None,
    done: list[int] | None = None,
) -> Iterator[Conversation]:
    """Conversations of an export array, node by node. ``classify`` reads an item that
    is not an export conversation (it is built whole, as any other record); ``done[0]``
    is kept at the index of the last item read whole."""
    done = done if done is not None else [-1]
    events: Iterator[Event] = ijson.parse(reader, use_float=True)
    ahead: _ReadAhead | None = None

    def read_ahead(index: int) -> dict[str, Any] | None:
        nonlocal ahead
        if reopen is None:
            return None
        if ahead is None:
            ahead = _ReadAhead(reopen)
        return ahead.header(index)

    try:
        first = next(events, None)
        if first is None or first[1] != "start_array":
            return
        index = -1
        while (item := next(events))[1] != "end_array":
            index += 1
            where = f"{source} conversation {index}"
            if item[1] != "start_map":
                value = _value(events, item)
                done[0] = index
                yield from classify(value, where)
                continue
            yield from _item(events, index, source, where, diagnostics, classify, read_ahead, done)
        for _ in events:  # what follows the array is checked, as a whole-document parse would
            pass
    finally:
        if ahead is not None:
            ahead.close()


def _item(events: Iterator[Event], index: int, source: str, where: str, diagnostics: Diagnostics,
          classify: Callable[[Any, str], Iterator[Conversation]],
          read_ahead: Callable[[int], dict[str, Any] | None], done: list[int]
          ) -> Iterator[Conversation]:
    conversation = _Conversation(index, source, where, diagnostics, read_ahead)
    streamed = False
    while (event := next(events))[1] == "map_key":
        key, start = event[2], next(events)
        if key == "mapping" and start[1] == "start_map" and not streamed:
            streamed = True
            position = 0
            while (node := next(events))[1] == "map_key":
                yield from conversation.node(position, node[2], _value(events, next(events)))
                position += 1
        else:
            conversation.fields[key] = _value(events, start)
    done[0] = index
    if streamed:
        yield from conversation.end()
    else:  # not an export conversation (or its mapping is not an object): as before
        yield from classify(conversation.fields, where)
