"""A job's costs as MLflow metrics: per stage, as if run alone, and what it actually spent."""

from collections.abc import Sequence
from typing import Any

from xner.pipeline.cost import FIELDS, Cost


def cost_metrics(
    costs: Sequence[tuple[str, Cost, bool]], job: Cost | None = None
) -> tuple[dict[str, float], dict[str, Any]]:
    """(metrics ``cost/<stage>/<field>``, ``cost/<stage>/reused``, ``cost/alone/*``,
    ``cost/spent/*`` and ``cost/job/*``; the ``cost.json`` record).

    A reused stage counts with the cost it had when it was computed: ``alone`` is the job's
    bill had it run alone, ``spent`` only what this job computed itself.
    """
    per_stage: dict[str, Cost] = {}
    reused: dict[str, int] = {}
    alone, spent = Cost(), Cost()
    for stage, cost, was_reused in costs:
        per_stage[stage] = per_stage.get(stage, Cost()) + cost
        reused[stage] = reused.get(stage, 0) + int(was_reused)
        alone = alone + cost
        if not was_reused:
            spent = spent + cost
    metrics: dict[str, float] = {}
    for stage, cost in sorted(per_stage.items()):
        metrics.update({f"cost/{stage}/{k}": v for k, v in cost.as_dict().items()})
        metrics[f"cost/{stage}/reused"] = float(reused[stage])
    totals = {"alone": alone, "spent": spent, **({"job": job} if job is not None else {})}
    for name, cost in totals.items():
        metrics.update({f"cost/{name}/{k}": v for k, v in cost.as_dict().items()})
    record = {
        "fields": list(FIELDS),
        "stages": [
            {"stage": stage, "reused": was_reused, **cost.as_dict()}
            for stage, cost, was_reused in costs
        ],
        **{name: cost.as_dict() for name, cost in totals.items()},
    }
    return metrics, record
