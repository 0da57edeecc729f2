"""``splunk-hec=URL``: the Splunk HTTP Event Collector event format, one
``{"time", "source", "sourcetype", "event"}`` object per finding, concatenated;
``Authorization: Splunk <CHATDLP_SPLUNK_HEC_TOKEN>`` (required). URL is the
collector endpoint, e.g. ``https://splunk:8088/services/collector/event``."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from chatdlp.records import Finding
from chatdlp.timefmt import epoch


class SplunkHecSink:
    name = "splunk-hec"
    token_env = "CHATDLP_SPLUNK_HEC_TOKEN"
    token_scheme = "Splunk"
    token_required = True
    # HEC with indexer acknowledgment wants a channel on every request: one UUID per run.
    request_channel = True

    def body(self, findings: Sequence[Finding]) -> bytes:
        return "\n".join(
            json.dumps({
                "time": round(_event_time(f.created_at), 3),
                "source": "chatdlp",
                "sourcetype": "chatdlp:finding",
                "event": f.to_dict(),
            }, ensure_ascii=False)
            for f in findings
        ).encode()


def _event_time(created_at: str | None) -> float:
    when = epoch(created_at)
    return when if when is not None else time.time()
