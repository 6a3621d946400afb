"""Comparing scored runs: paired bootstrap intervals and the run-to-run comparison."""
