"""The live Compliance API sources (``compliance://WORKSPACE_ID``).

Small parts, each tested on its own: ``settings`` (frozen, key masked),
``limiter`` (requests per minute), ``retry`` (tenacity policy), ``paging``
(query parameters, incremental page parser), ``refusals`` (the server's reason,
masked), ``transport`` (paced, retried GETs and redirect-safe downloads),
``source`` (the stateful ``/conversations`` stream), ``logs`` (the Logs
Platform, the default path), ``objects`` (``--include``), ``retention`` (what
expires when), and ``workspace`` (:func:`open_compliance_source`, the entry point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Light: what the scan of a file needs too (a plan's options, checkpoints).
from chatdlp.lazy import lazy_getattr
from chatdlp.sources.compliance_api.settings import (
    SCHEME,
    ApiKey,
    ComplianceOptions,
    ComplianceSettings,
    RetrySettings,
    parse_since,
    settings_from_environment,
)

if TYPE_CHECKING:
    from chatdlp.sources.compliance_api.limiter import RateLimiter
    from chatdlp.sources.compliance_api.logs import LogsPlatformSource
    from chatdlp.sources.compliance_api.logs_settings import (
        LogsSettings,
        logs_settings_from_environment,
        parse_event_types,
    )
    from chatdlp.sources.compliance_api.objects import (
        ComplianceObjectsSource,
        ObjectsSettings,
        parse_include,
    )
    from chatdlp.sources.compliance_api.page_stream import FetchStats
    from chatdlp.sources.compliance_api.retry import RetryBudget, RetryPolicy, TransientFault
    from chatdlp.sources.compliance_api.source import ApiRecord, ComplianceApiSource
    from chatdlp.sources.compliance_api.workspace import (
        ComplianceSelection,
        ComplianceWorkspaceSource,
        open_compliance_source,
    )

# The rest imports httpx and tenacity: loaded when first named, so that a scan of files
# (a rerun with --state above all) does not pay for the live API's client.
_LAZY = {
    "RateLimiter": "limiter",
    "LogsPlatformSource": "logs",
    "LogsSettings": "logs_settings",
    "logs_settings_from_environment": "logs_settings",
    "parse_event_types": "logs_settings",
    "ComplianceObjectsSource": "objects",
    "ObjectsSettings": "objects",
    "parse_include": "objects",
    "FetchStats": "page_stream",
    "RetryBudget": "retry",
    "RetryPolicy": "retry",
    "TransientFault": "retry",
    "ApiRecord": "source",
    "ComplianceApiSource": "source",
    "ComplianceSelection": "workspace",
    "ComplianceWorkspaceSource": "workspace",
    "open_compliance_source": "workspace",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())

__all__ = [
    "SCHEME",
    "ApiKey",
    "ApiRecord",
    "ComplianceApiSource",
    "ComplianceObjectsSource",
    "ComplianceOptions",
    "ComplianceSelection",
    "ComplianceSettings",
    "ComplianceWorkspaceSource",
    "FetchStats",
    "LogsPlatformSource",
    "LogsSettings",
    "ObjectsSettings",
    "RateLimiter",
    "RetryBudget",
    "RetryPolicy",
    "RetrySettings",
    "TransientFault",
    "logs_settings_from_environment",
    "open_compliance_source",
    "parse_event_types",
    "parse_include",
    "parse_since",
    "settings_from_environment",
]
