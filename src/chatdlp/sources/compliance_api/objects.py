"""``--include``: the text a workspace holds outside conversations, from the stateful API.

After ../shared/reference/compliance-api.md ("Other text the stateful API holds"),
each kind is a list endpoint under ``/compliance/workspaces/{ws}`` paged with
``after``/``limit`` (``cursor`` where the answer gives one):

| kind        | endpoints read                                                  |
| ----------- | --------------------------------------------------------------- |
| gpts        | ``gpts``; ``gpts/{id}/configs`` when a GPT comes without config |
| projects    | ``projects``; ``projects/{id}/configs`` likewise                |
| memories    | ``memories``                                                    |
| codex       | ``codex_tasks``, ``codex_environments``                         |
| automations | ``users``, then ``/workspaces/{ws}/users/{u}/automations``      |
| canvases    | ``users``, then ``users/{u}/canvases`` (``canvas/{id}`` if bare) |
| recordings  | ``users``, then ``users/{u}/recordings`` (``.../transcript``)   |

Every object becomes pseudo-messages (:mod:`chatdlp.sources.compliance_objects`).
An endpoint that refuses (404, 410, retries exhausted) is a failure of that kind
(exit 3) and the other kinds are still read; a refused key stops the run.
``files`` (chat uploads) are read along the chats: see ``uploads``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from chatdlp.errors import ChatdlpError, ConfigError, SourceError
from chatdlp.records import Conversation, Diagnostics
from chatdlp.sources import compliance_objects as objects
from chatdlp.sources.compliance_api.paging import PageGuard, QueryParams
from chatdlp.sources.compliance_api.refusals import EndpointNotFound
from chatdlp.sources.compliance_api.settings import ComplianceSettings
from chatdlp.sources.compliance_api.source import ApiRecord
from chatdlp.sources.compliance_api.transport import ApiTransport, LiveSource
from chatdlp.sources.compliance_logs import merge_consecutive

Progress = Callable[[str], None]
INCLUDE_KINDS: dict[str, str] = {
    "gpts": objects.GPT,
    "projects": objects.PROJECT,
    "memories": objects.MEMORY,
    "codex": objects.CODEX_TASK,
    "automations": objects.AUTOMATION,
    "canvases": objects.CANVAS,
    "recordings": objects.RECORDING,
}
READ_WITH_THE_CHATS = frozenset({"files"})  # uploads: compliance_api.uploads
_PER_USER = frozenset({"automations", "canvases", "recordings"})
MAX_PAGES = 100_000


def parse_include(value: str | None) -> tuple[str, ...]:
    """``--include gpts,projects``: the kinds, in order, each once."""
    if value is None or not value.strip():
        return ()
    kinds = [p.strip().lower() for p in value.split(",") if p.strip()]
    if "all" in kinds:
        kinds = [*sorted(READ_WITH_THE_CHATS), *INCLUDE_KINDS]
    return tuple(dict.fromkeys(kinds))


@dataclass(frozen=True, slots=True)
class ObjectsSettings:
    api: ComplianceSettings
    include: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.api.workspace_id.startswith("org-"):
            raise ConfigError("--include: objects are read per workspace, not per organisation")
        for kind in self.include:
            if kind in READ_WITH_THE_CHATS:
                raise ConfigError(
                    f"--include {kind}: read along the chats (open_compliance_source), "
                    "not as objects"
                )
            if kind not in INCLUDE_KINDS:
                raise ConfigError(
                    f"--include {kind!r}: expected some of {', '.join(INCLUDE_KINDS)}"
                )
        if not self.include:
            raise ConfigError("--include: name at least one kind")

    @property
    def workspace_url(self) -> str:
        workspace = quote(self.api.workspace_id, safe="")
        return f"{self.api.base_url.rstrip('/')}/compliance/workspaces/{workspace}"

    @property
    def automations_root(self) -> str:
        workspace = quote(self.api.workspace_id, safe="")
        return f"{self.api.base_url.rstrip('/')}/workspaces/{workspace}"


@dataclass
class ObjectsStats:
    pages: int = 0
    objects: dict[str, int] = field(default_factory=dict)
    kinds_failed: list[str] = field(default_factory=list)


class ComplianceObjectsSource(LiveSource):
    """GPTs, Projects, memories, automations, ... of one workspace, as pseudo-messages."""

    def __init__(
        self,
        settings: ObjectsSettings,
        client: httpx.Client | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(settings.api, client, progress, sleep, clock)
        self.settings = settings
        self.stats = ObjectsStats()
        self._users: list[str] | None = None

    @property
    def name(self) -> str:
        return self.settings.api.source_name

    def __repr__(self) -> str:
        return f"ComplianceObjectsSource({self.name!r}, {','.join(self.settings.include)})"

    def conversations(self, diagnostics: Diagnostics) -> Iterator[Conversation]:
        items = (
            objects.conversation_from_object(raw, INCLUDE_KINDS[kind], self.name, where,
                                             diagnostics)
            for kind, raw, where in self._objects(diagnostics)
        )
        for conversation in merge_consecutive(c for c in items if c is not None):
            if conversation.messages:
                yield conversation

    def records(self, diagnostics: Diagnostics) -> Iterator[ApiRecord]:
        """Every object of every included kind, as the raw dict."""
        for _kind, raw, where in self._objects(diagnostics):
            yield ApiRecord(raw, where)

    def _objects(self, diagnostics: Diagnostics) -> Iterator[tuple[str, dict[str, Any], str]]:
        with self.transport() as transport:
            for kind in self.settings.include:
                try:
                    for raw, where in self._kind(transport, kind, diagnostics):
                        self.stats.objects[kind] = self.stats.objects.get(kind, 0) + 1
                        yield kind, raw, where
                except EndpointNotFound as exc:
                    self._failed(kind, str(exc), diagnostics)
                except ConfigError:
                    raise  # a refused key or a bad request: nothing else will work
                except ChatdlpError as exc:
                    self._failed(kind, str(exc), diagnostics)

    def _failed(self, kind: str, reason: str, diagnostics: Diagnostics) -> None:
        self.stats.kinds_failed.append(kind)
        diagnostics.fail(f"{self.name} --include {kind}", f"{kind} not read", reason)

    # -- the endpoints -------------------------------------------------------------

    def _pages(
        self, transport: ApiTransport, url: str, endpoint: str, label: str,
        diagnostics: Diagnostics,
    ) -> Iterator[tuple[dict[str, Any], str]]:
        """Items of a paged list endpoint: ``after=<last_id>`` (or ``cursor``) on."""
        params_tail: QueryParams = []
        guard = PageGuard(self.settings.api.paging)
        for page in range(1, MAX_PAGES):
            where = f"{self.name} {label} page {page}"
            params: QueryParams = [("limit", str(self.settings.api.page_size)), *params_tail]
            answer = transport.get_json(url, params, endpoint, where, page=page)
            self.stats.pages += 1
            items = answer.get("data")
            if not isinstance(items, list):
                raise SourceError(f"{where}: not a list envelope (no data list)")
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    yield item, f"{where} item {index}"
                else:
                    diagnostics.skip(f"{where} item {index}", "object is not a JSON object",
                                     type(item).__name__)
            if answer.get("has_more") is not True:
                return
            last_id, cursor = answer.get("last_id"), answer.get("next_cursor") or answer.get(
                "cursor")
            if isinstance(last_id, str) and last_id:
                next_tail: QueryParams = [("after", last_id)]
            elif isinstance(cursor, str) and cursor:
                next_tail = [("cursor", cursor)]
            else:
                raise SourceError(f"{where}: has_more is true but the page gives no cursor")
            if next_tail == params_tail:
                raise SourceError(f"{where}: has_more is true but the cursor did not move")
            guard.advance(where, f"{next_tail[0][0]}={next_tail[0][1]}",
                          [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)])
            params_tail = next_tail
        raise SourceError(f"{self.name} {label}: more than {MAX_PAGES} pages")

    def _kind(
        self, transport: ApiTransport, kind: str, diagnostics: Diagnostics
    ) -> Iterator[tuple[dict[str, Any], str]]:
        root = self.settings.workspace_url
        if kind in ("gpts", "projects"):
            for item, where in self._pages(transport, f"{root}/{kind}", f"/{kind}", kind,
                                           diagnostics):
                yield item, where
                if _has_config(item) or not isinstance(item.get("id"), str):
                    continue
                owner = item["id"]
                configs = f"{root}/{kind}/{quote(owner, safe='')}/configs"
                owner_key = "gpt_id" if kind == "gpts" else "project_id"
                for config, config_where in self._pages(
                    transport, configs, f"/{kind}/{{id}}/configs", f"{kind} {owner} configs",
                    diagnostics,
                ):
                    yield {"object": f"compliance.workspace.{kind[:-1]}.config",
                           **config, owner_key: owner}, config_where
        elif kind == "memories":
            yield from self._pages(transport, f"{root}/memories", "/memories", kind,
                                   diagnostics)
        elif kind == "codex":
            yield from self._pages(transport, f"{root}/codex_tasks", "/codex_tasks", kind,
                                   diagnostics)
            yield from self._pages(
                transport, f"{root}/codex_environments", "/codex_environments",
                "codex environments", diagnostics,
            )
        elif kind in _PER_USER:
            for user in self._user_ids(transport, diagnostics):
                yield from self._per_user(transport, kind, user, diagnostics)

    def _user_ids(self, transport: ApiTransport, diagnostics: Diagnostics) -> list[str]:
        if self._users is None:
            root = self.settings.workspace_url
            self._users = [
                item["id"] for item, _ in self._pages(transport, f"{root}/users", "/users",
                                                       "users", diagnostics)
                if isinstance(item.get("id"), str)
            ]
        return self._users

    def _per_user(
        self, transport: ApiTransport, kind: str, user: str, diagnostics: Diagnostics
    ) -> Iterator[tuple[dict[str, Any], str]]:
        root = self.settings.workspace_url
        quoted = quote(user, safe="")
        if kind == "automations":
            url = f"{self.settings.automations_root}/users/{quoted}/automations"
        else:
            url = f"{root}/users/{quoted}/{kind}"
        for item, where in self._pages(transport, url, f"/users/{{u}}/{kind}",
                                       f"{kind} of {user}", diagnostics):
            item = {**item, "user_id": item.get("user_id") or user}
            ident = item.get("id")
            if kind == "canvases" and isinstance(ident, str) and not _has_any(
                item, ("content", "text", "versions", "textdoc")
            ):
                detail = transport.get_json(
                    f"{root}/users/{quoted}/canvas/{quote(ident, safe='')}", [],
                    "/users/{u}/canvas/{id}", f"{where} canvas", page=2,
                )
                item = {**item, **detail}
            if kind == "recordings" and isinstance(ident, str) and "transcript" not in item:
                detail = transport.get_json(
                    f"{url}/{quote(ident, safe='')}/transcript", [],
                    "/recordings/{id}/transcript", f"{where} transcript", page=2,
                )
                item = {**item, **{k: v for k, v in detail.items() if k in (
                    "transcript", "summary", "title")}}
            yield item, where


def _has_any(item: dict[str, Any], keys: tuple[str, ...]) -> bool:
    return any(item.get(key) for key in keys)


def _has_config(item: dict[str, Any]) -> bool:
    return _has_any(item, ("latest_config", "config", "configs", "instructions"))
