"""The sink kinds, chosen by name (``--sink KIND=URL``), like the report ``FORMATTERS``."""

from __future__ import annotations

from chatdlp.report.sinks.base import SinkKind
from chatdlp.report.sinks.splunk import SplunkHecSink
from chatdlp.report.sinks.webhook import WebhookSink

SINK_KINDS: dict[str, type[SinkKind]] = {kind.name: kind for kind in (WebhookSink, SplunkHecSink)}
