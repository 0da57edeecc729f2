"""``webhook=URL``: ``POST URL`` with ``{"tool", "version", "findings": [...]}``;
``Authorization: Bearer <CHATDLP_WEBHOOK_TOKEN>`` when that is set."""

from __future__ import annotations

import json
from collections.abc import Sequence

import chatdlp
from chatdlp.records import Finding


class WebhookSink:
    name = "webhook"
    token_env = "CHATDLP_WEBHOOK_TOKEN"
    token_scheme = "Bearer"
    token_required = False

    def body(self, findings: Sequence[Finding]) -> bytes:
        return json.dumps(
            {"tool": "chatdlp", "version": chatdlp.__version__, "findings": [f.to_dict() for f in findings]},
            ensure_ascii=False,
        ).encode()
