"""Detection: messages in, detections (spans with rule, score, severity) out."""

from chatdlp.detect.engine import Detector
from chatdlp.detect.nlp import NlpProfile, load_pipeline

__all__ = ["Detector", "NlpProfile", "load_pipeline"]
