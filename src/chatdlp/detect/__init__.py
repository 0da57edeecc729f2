"""Detection: messages in, detections (spans with rule, score, severity) out.

The names are loaded on first use: importing a detect submodule (``chatdlp.detect.nlp``)
must not import Presidio and spaCy, which take a second (``chatdlp --version``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatdlp.detect.engine import Detector
    from chatdlp.detect.nlp import NlpProfile, load_pipeline

__all__ = ["Detector", "NlpProfile", "load_pipeline"]
_HOMES = {"Detector": "chatdlp.detect.engine", "NlpProfile": "chatdlp.detect.nlp",
          "load_pipeline": "chatdlp.detect.nlp"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
