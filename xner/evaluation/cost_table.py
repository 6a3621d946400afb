"""``report --cost``: compute hours per cell, as if each job had run alone, beside its F1.

A job's hours are its own wall time (``cost/job/wall_s``) with every stage it took from the
cache counted at the cost it had when computed (``- cost/spent + cost/alone``); for
``project.py`` runs, which log no job total, its stages' cost (``cost/alone/wall_s``). Points
per hour compare each method with the baseline column (the method declaring the baseline role:
model transfer): (F1 - F1 of the baseline) / (hours - hours of the baseline), the F1 each extra
compute hour bought.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xner.evaluation.gap import Table, with_role
from xner.method_kind import BASELINE
from xner.tracking.names import metric_key_part
from xner.tracking.store import RunRecord


def run_hours(metrics: Mapping[str, float]) -> float | None:
    """A run's compute hours as if run alone, or None for a run that logged no costs."""
    if "cost/job/wall_s" in metrics:
        seconds = (
            metrics["cost/job/wall_s"]
            - metrics.get("cost/spent/wall_s", 0.0)
            + metrics.get("cost/alone/wall_s", 0.0)
        )
    elif "cost/alone/wall_s" in metrics:
        seconds = metrics["cost/alone/wall_s"]
    else:
        return None
    return seconds / 3600


@dataclass(frozen=True)
class CostTable:
    rows: list[str]
    columns: list[str]
    hours: dict[tuple[str, str], float]
    per_hour: dict[tuple[str, str], float]  # F1 points per hour beyond model transfer
    baseline: str = ""  # the column of the method declared the baseline (model_transfer)


def cost_table(table: Table, runs: Sequence[RunRecord]) -> CostTable:
    """The hours of each cell of ``table`` (mean over its seeds) and its points per hour."""
    metrics = {run.run_id: run.metrics for run in runs}
    hours: dict[tuple[str, str], float] = {}
    for key, cell in table.cells.items():
        found = [h for h in (run_hours(metrics.get(r, {})) for r in cell.run_ids) if h is not None]
        if found:
            hours[key] = statistics.fmean(found)
    per_hour = {}
    baseline = next(iter(with_role(table.columns, table.kinds, BASELINE)), "")
    for (lang, column), h in hours.items():
        base = (lang, baseline)
        if column == baseline or base not in hours or base not in table.cells:
            continue
        extra = h - hours[base]
        if extra > 0:
            gain = table.cells[(lang, column)].mean - table.cells[base].mean
            per_hour[(lang, column)] = gain / extra
    return CostTable(list(table.rows), list(table.columns), hours, per_hour, baseline)


def _hours(value: float) -> str:
    return f"{value:.4f} h" if value < 0.1 else f"{value:.2f} h"


def to_markdown(costs: CostTable) -> str:
    header = "| lang | " + " | ".join(costs.columns) + " |"
    lines = [header, "|:---|" + "---:|" * len(costs.columns)]
    for lang in costs.rows:
        cells = []
        for column in costs.columns:
            h = costs.hours.get((lang, column))
            rate = costs.per_hour.get((lang, column))
            text = "—" if h is None else _hours(h)
            cells.append(text + (f" ({rate:+.1f}/h)" if rate is not None else ""))
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    caption = (
        "compute hours per job as if run alone (stages reused from the cache counted at the "
        "cost they had when computed), mean over seeds; (±x/h): F1 points per extra hour "
        f"over {costs.baseline or 'the baseline (none in the table)'}"
    )
    return "\n".join([*lines, "", caption]) + "\n"


def to_rows(costs: CostTable) -> list[dict[str, object]]:
    """One record per cell: language, column, hours, points per hour (None when not defined)."""
    return [
        {
            "lang": lang,
            "column": column,
            "hours": costs.hours.get((lang, column)),
            "points_per_hour": costs.per_hour.get((lang, column)),
        }
        for lang in costs.rows
        for column in costs.columns
        if (lang, column) in costs.hours
    ]


def render_costs(costs: CostTable, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"costs": to_rows(costs)}, indent=2) + "\n"
    if fmt == "csv":
        lines = ["lang,column,hours,points_per_hour"]
        for row in to_rows(costs):
            rate = row["points_per_hour"]
            lines.append(
                f"{row['lang']},{row['column']},{row['hours']},{'' if rate is None else rate}"
            )
        return "\n".join(lines) + "\n"
    return to_markdown(costs)


def sweep_cost_metrics(costs: CostTable) -> dict[str, float]:
    """What the sweep's parent logs: ``cost_hours/<lang>/<column>`` and ``points_per_hour/...``."""
    metrics = {}
    for (lang, column), h in costs.hours.items():
        metrics[f"cost_hours/{metric_key_part(lang)}/{metric_key_part(column)}"] = h
    for (lang, column), rate in costs.per_hour.items():
        metrics[f"points_per_hour/{metric_key_part(lang)}/{metric_key_part(column)}"] = rate
    return metrics
