"""Scoring and comparing runs: metrics, reports, bootstrap intervals, reruns, config diffs."""
