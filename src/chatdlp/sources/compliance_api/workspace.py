"""``compliance://ID`` as the CLI will open it: one path for the chats, then ``--include``.

:func:`open_compliance_source` is the one entry point for the CLI: it reads the
settings from the options and the environment, and builds

- the chat path: the Logs Platform (:class:`LogsPlatformSource`, the default) or,
  with ``--api conversations``, the stateful path (:class:`ComplianceApiSource`);
- with ``--include files``, the text of the files uploaded in the chats
  (:class:`UploadReader`), read along the chats;
- the other objects of ``--include`` (:class:`ComplianceObjectsSource`), read after;

behind one :class:`ComplianceWorkspaceSource` with one name (``compliance://ID``)
and one ``checkpoint``. It says which path it uses before it reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

import httpx

from chatdlp.errors import ConfigError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources.compliance_api.logs import LogsPlatformSource
from chatdlp.sources.compliance_api.logs_settings import LogsSettings
from chatdlp.sources.compliance_api.objects import ComplianceObjectsSource, ObjectsSettings
from chatdlp.sources.compliance_api.settings import ComplianceOptions, settings_from_environment
from chatdlp.sources.compliance_api.source import ApiRecord, ComplianceApiSource
from chatdlp.sources.compliance_api.uploads import UploadReader
from chatdlp.sources.compliance_logs import CONVERSATION_MESSAGE

LOGS = "logs"
CONVERSATIONS = "conversations"
API_PATHS = (LOGS, CONVERSATIONS)
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ComplianceSelection:
    """What ``--api``, ``--event-types`` and ``--include`` select."""

    api: str = LOGS
    event_types: tuple[str, ...] = (CONVERSATION_MESSAGE,)
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.api not in API_PATHS:
            raise ConfigError(f"--api {self.api!r}: expected one of {', '.join(API_PATHS)}")
        if self.api == CONVERSATIONS and self.event_types != (CONVERSATION_MESSAGE,):
            raise ConfigError("--event-types is for the Logs Platform (--api logs) only")


class ComplianceWorkspaceSource:
    """The chat path, then the ``--include`` objects, as one source."""

    def __init__(
        self,
        chats: LogsPlatformSource | ComplianceApiSource,
        objects: ComplianceObjectsSource | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.chats = chats
        self.objects = objects
        self.checkpoint_key = chats.name  # with filters (users, api ...) when the CLI opened it
        self._progress: Progress = progress or (lambda _message: None)

    @property
    def name(self) -> str:
        return self.chats.name

    @property
    def api_path(self) -> str:
        return LOGS if isinstance(self.chats, LogsPlatformSource) else CONVERSATIONS

    @property
    def checkpoint(self) -> float | None:
        """Logs Platform: the ``last_end_time`` (Unix seconds) every selected event type
        was read through; None on the stateful path, whose conversations carry their
        update times as before."""
        return self.chats.checkpoint if isinstance(self.chats, LogsPlatformSource) else None

    def completed_through(self, run_started: float) -> float | None:
        """The checkpoint a run that read this source whole may store: the Logs
        Platform's ``last_end_time`` (a log file covering earlier time can be published
        after the run started), else the run's start."""
        if isinstance(self.chats, LogsPlatformSource):
            return self.chats.checkpoint
        return run_started

    def describe(self) -> str:
        if isinstance(self.chats, LogsPlatformSource):
            path = f"the Logs Platform ({', '.join(self.chats.settings.event_types)})"
        else:
            path = "the stateful /conversations API (deprecated in favour of the Logs Platform)"
        if self.chats.uploads is not None:
            path += " with the files uploaded in them"
        if self.objects is not None:
            path += f", then {', '.join(self.objects.settings.include)}"
        return f"{self.name}: reading {path}"

    def __repr__(self) -> str:
        return f"ComplianceWorkspaceSource({self.name!r}, {self.api_path})"

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        self._progress(self.describe())
        yield from self.chats.conversations(diagnostics)
        if self.objects is not None:
            for conversation in self.objects.conversations(diagnostics):
                # objects carry no position in the chats' stream: no checkpoint from them
                yield replace(conversation, updated_at=None)

    def records(self, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        """The raw records (``chatdlp fetch``): conversations or log events, then objects."""
        self._progress(self.describe())
        yield from self.chats.records(diagnostics)
        if self.objects is not None:
            yield from self.objects.records(diagnostics)


def open_compliance_source(
    spec: str,
    options: ComplianceOptions,
    selection: ComplianceSelection | None = None,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], float] = time.time,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ComplianceWorkspaceSource:
    """The source for ``compliance://ID`` as ``selection`` says (the Logs Platform by
    default). ``client``, ``sleep`` and ``clock`` are for tests; the key is read from
    the environment (``environ``), never from the options."""
    chosen = selection if selection is not None else ComplianceSelection()
    api = settings_from_environment(spec, options, environ=environ, now=now)
    progress = options.progress
    uploads = None
    if "files" in chosen.include:
        uploads = UploadReader(api, client=client, progress=progress, sleep=sleep, clock=clock)
    chats: LogsPlatformSource | ComplianceApiSource
    if chosen.api == LOGS:
        chats = LogsPlatformSource(
            LogsSettings(api, event_types=chosen.event_types), client=client,
            progress=progress, sleep=sleep, clock=clock, now=now, uploads=uploads,
        )
    else:
        chats = ComplianceApiSource(api, client=client, progress=progress, sleep=sleep,
                                    clock=clock, uploads=uploads)
    objects = None
    kinds = tuple(kind for kind in chosen.include if kind != "files")
    if kinds:
        objects = ComplianceObjectsSource(
            ObjectsSettings(api, include=kinds), client=client, progress=progress,
            sleep=sleep, clock=clock,
        )
    return ComplianceWorkspaceSource(chats, objects, progress=progress)


def open_from_options(spec: str, options: ComplianceOptions) -> ComplianceWorkspaceSource:
    """``compliance://ID`` as the CLI's options select it (``--api``, ``--event-types``,
    ``--include`` as given)."""
    from chatdlp.sources.compliance_api.logs_settings import parse_event_types
    from chatdlp.sources.compliance_api.objects import parse_include

    selection = ComplianceSelection(
        api=options.api, event_types=parse_event_types(options.event_types),
        include=parse_include(options.include),
    )
    source = open_compliance_source(spec, options, selection)
    if options.checkpoint_key is not None:
        source.checkpoint_key = options.checkpoint_key
    return source
