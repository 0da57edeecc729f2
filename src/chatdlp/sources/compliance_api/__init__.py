"""The live Compliance API source (``compliance://WORKSPACE_ID``).

Small parts, each tested on its own: ``settings`` (frozen, key masked),
``limiter`` (requests per minute), ``retry`` (tenacity policy), ``paging``
(query parameters, incremental page parser), ``source`` (the stream).
"""

from chatdlp.sources.compliance_api.limiter import RateLimiter
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
    "RateLimiter",
    "RetryBudget",
    "RetryPolicy",
    "RetrySettings",
    "TransientFault",
    "parse_since",
    "settings_from_environment",
]
