"""Output formats: small formatter classes chosen by name, each reading the report model.

``findings.jsonl`` is written while scanning (see ``report/jsonl.py``); the
formats here are written after the scan from the report model. ``incidents``
comes with ``csv`` and ``html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from chatdlp.errors import ConfigError
from chatdlp.report.formats.analytics import AnalyticsFormatter
from chatdlp.report.formats.base import Formatter
from chatdlp.report.formats.csvfile import CsvFormatter
from chatdlp.report.formats.html import HtmlFormatter
from chatdlp.report.formats.incidents import IncidentsFormatter
from chatdlp.report.formats.markdown import MarkdownFormatter
from chatdlp.report.formats.sarif import SarifFormatter

FORMATTERS: Mapping[str, type[Formatter]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            CsvFormatter, HtmlFormatter, MarkdownFormatter, SarifFormatter,
            AnalyticsFormatter, IncidentsFormatter,
        )
    }
)
ALWAYS_WRITTEN = "jsonl"  # findings.jsonl: written during the scan, whatever --format says
# A format that brings another along: reviewers of the CSV or HTML get the incidents too.
_COMPANIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"csv": ("incidents",), "html": ("incidents",)}
)
FORMAT_NAMES = (ALWAYS_WRITTEN, *FORMATTERS)


def parse_formats(values: Iterable[str]) -> tuple[str, ...]:
    """``["csv,html", "md"]`` -> the formatter names to run, in order, each once."""
    names: list[str] = []
    for value in values:
        for raw in value.split(","):
            name = raw.strip().lower()
            if not name:
                continue
            if name not in FORMAT_NAMES:
                raise ConfigError(
                    f"--format: unknown format {name!r} (choose from {', '.join(FORMAT_NAMES)})"
                )
            if name == ALWAYS_WRITTEN:
                continue
            for wanted in (name, *_COMPANIONS.get(name, ())):
                if wanted not in names:
                    names.append(wanted)
    return tuple(names)


def formatters_for(names: Iterable[str]) -> tuple[Formatter, ...]:
    return tuple(FORMATTERS[name]() for name in names)


__all__ = ["FORMATTERS", "FORMAT_NAMES", "Formatter", "formatters_for", "parse_formats"]
