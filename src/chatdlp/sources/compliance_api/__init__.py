"""The live Compliance API sources (``compliance://WORKSPACE_ID``).

Small parts, each tested on its own: ``settings`` (frozen, key masked),
``limiter`` (requests per minute), ``retry`` (tenacity policy), ``paging``
(query parameters, incremental page parser), ``refusals`` (the server's reason,
masked), ``transport`` (paced, retried GETs and redirect-safe downloads),
``source`` (the stateful ``/conversations`` stream), ``logs`` (the Logs
Platform, the default path).
"""

from chatdlp.sources.compliance_api.limiter import RateLimiter
from chatdlp.sources.compliance_api.logs import (
    LogsPlatformSource,
    LogsSettings,
    logs_settings_from_environment,
    parse_event_types,
)
from chatdlp.sources.compliance_api.retry import RetryBudget, RetryPolicy, TransientFault
from chatdlp.sources.compliance_api.settings import (
    SCHEME,
    ApiKey,
    ComplianceOptions,
    ComplianceSettings,
    RetrySettings,
    parse_since,
    settings_from_environment,
)
from chatdlp.sources.compliance_api.source import ApiRecord, ComplianceApiSource, FetchStats

__all__ = [
    "SCHEME",
    "ApiKey",
    "ApiRecord",
    "ComplianceApiSource",
    "ComplianceOptions",
    "ComplianceSettings",
    "FetchStats",
    "LogsPlatformSource",
    "LogsSettings",
    "RateLimiter",
    "RetryBudget",
    "RetryPolicy",
    "RetrySettings",
    "TransientFault",
    "logs_settings_from_environment",
    "parse_event_types",
    "parse_since",
    "settings_from_environment",
]
