"""The one orchestration layer: plan a run, stream it through the stages, decide its outcome."""
