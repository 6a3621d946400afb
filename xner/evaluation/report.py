"""``evaluate.py report``: the gap table of the store's runs, printed (read-only).

By default it reads the newest sweep of the experiment (``--parent`` another, ``--all`` every
run); ``--save`` logs it to the ``--parent`` run, as the end of a sweep does.

The table is computed in :mod:`xner.evaluation.gap` and written out by
:mod:`xner.evaluation.render`; runs are read with :mod:`xner.tracking.store`.
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from xner.errors import ConfigError
from xner.evaluation.cost_table import cost_table, render_costs, sweep_cost_metrics
from xner.evaluation.gap import (
    DEFAULT_PREFERENCE,
    Table,
    gap_table,
    with_failures,
    with_intervals,
)
from xner.evaluation.render import FORMATS, render, save_bar_chart, to_csv, to_json, to_markdown
from xner.tracking.names import (
    GAP_RULE_TAG,
    METRIC_TAG,
    NOTE_TAG,
    REPORT_ARTIFACT_DIR,
    REPORT_ROLE,
    ROLE_TAG,
    metric_key_part,
)
from xner.tracking.store import (
    RunRecord,
    experiment_id,
    load_failed_runs,
    load_runs,
    newest_sweep,
    open_client,
    resolve_run,
    tracking_uri,
)

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


def report_parent(client: MlflowClient, table: Table, runs: Sequence[RunRecord]) -> str | None:
    """The most recently started parent run among the parents of the table's runs."""
    in_table = set(table.run_ids)
    parent_ids = {r.parent_id for r in runs if r.run_id in in_table and r.parent_id}
    parents = [client.get_run(pid) for pid in sorted(parent_ids)]
    if not parents:
        return None
    return max(parents, key=lambda p: (p.info.start_time or 0, p.info.run_id)).info.run_id


def save_report(
    table: Table,
    runs: Sequence[RunRecord],
    uri: str | None = None,
    experiment: str = "xner",
    parent: str | None = None,
    artifact_path: str = REPORT_ARTIFACT_DIR,
) -> str:
    """Log the table (md, csv, json) and its bar chart to the sweep's parent run; returns its id.

    Without a parent run the artifacts go to a new run named after REPORT_ROLE.
    """
    client = open_client(uri)
    run_id = parent or report_parent(client, table, runs)
    new_run = run_id is None
    if new_run:
        tags = {ROLE_TAG: REPORT_ROLE, METRIC_TAG: table.metric}
        run_id = client.create_run(
            experiment_id(client, experiment), run_name=REPORT_ROLE, tags=tags
        ).info.run_id
    client.set_tag(run_id, GAP_RULE_TAG, table.rule)
    _log_gaps(client, run_id, table)
    with tempfile.TemporaryDirectory() as tmp:
        _write_report(client, run_id, table, runs, Path(tmp))
        client.log_artifacts(run_id, tmp, artifact_path)
    client.set_tag(run_id, NOTE_TAG, to_markdown(table))  # the run's description in the UI
    if new_run:
        client.set_terminated(run_id)
    return run_id


def _log_gaps(client: MlflowClient, run_id: str, table: Table) -> None:
    """Each row's gap (and the mean's) with its interval and p-value, as metrics ``gap/<row>``."""
    intervals = {
        **table.intervals,
        **({"mean": table.mean_interval} if table.mean_interval else {}),
    }
    for row, interval in intervals.items():
        key = f"gap/{metric_key_part(row)}"
        values = {key: interval.delta, f"{key}/low": interval.low, f"{key}/high": interval.high}
        for name, value in {**values, f"{key}/p": interval.p_value}.items():
            client.log_metric(run_id, name, value)


def _write_report(
    client: MlflowClient, run_id: str, table: Table, runs: Sequence[RunRecord], folder: Path
) -> None:
    """The table (md, csv, json) and its bar chart in ``folder``; with compute hours, the cost
    table there too and the sweep's cost metrics logged."""
    stem = table.metric.replace("/", "_")
    (folder / f"gap_{stem}.md").write_text(to_markdown(table), encoding="utf-8")
    (folder / f"gap_{stem}.csv").write_text(to_csv(table), encoding="utf-8")
    (folder / f"gap_{stem}.json").write_text(to_json(table), encoding="utf-8")
    save_bar_chart(table, folder / f"gap_{stem}.png")
    costs = cost_table(table, runs)
    if costs.hours:
        (folder / "cost.md").write_text(render_costs(costs, "markdown"), encoding="utf-8")
        (folder / "cost.json").write_text(render_costs(costs, "json"), encoding="utf-8")
        for name, value in sweep_cost_metrics(costs).items():
            client.log_metric(run_id, name, value)


def build_table(
    uri: str,
    experiment: str = "xner",
    parent: str | Sequence[str] | None = None,
    filters: str = "",
    metric: str = "test/f1",
    scale: float = 100.0,
    prefer: Sequence[str] = DEFAULT_PREFERENCE,
    choose_by: str | None = None,
    resamples: int = 1000,
) -> tuple[Table, list[RunRecord]]:
    """The gap table of the store's finished runs, with intervals (``resamples=0``: none);
    the cells of failed jobs (of ``parent``, else of the experiment) that no finished run fills
    are marked too. Several parents: the runs of all those sweeps in one table."""
    from xner.evaluation.counts import load_counts

    parents = [parent] if parent is None or isinstance(parent, str) else list(parent)
    runs = [r for one in parents for r in load_runs(uri, experiment, one, filters)]
    table = gap_table(runs, metric, scale, prefer, choose_by)
    if resamples > 0:
        client = open_client(uri)
        table = with_intervals(table, lambda run_id: load_counts(client, run_id), resamples)
    failed = [r for one in parents for r in load_failed_runs(uri, experiment, one)]
    return with_failures(table, failed), runs


def report_scope(
    client: MlflowClient, experiment: str, parent: str | None, every_run: bool
) -> tuple[str | None, str]:
    """The parent run the report reads (None: the whole experiment) and a line saying so."""
    if parent:
        run = resolve_run(client, parent)
        return run.info.run_id, f"report of sweep {_named(run)}"
    if every_run:
        return None, f"report of every run in experiment {experiment!r}, all sweeps mixed"
    newest = newest_sweep(client, experiment)
    if newest is None:
        return None, f"report of every run in experiment {experiment!r} (no sweep run in it)"
    line = f"report of the newest sweep, {_named(newest)} (--all: every run of the experiment)"
    return newest.info.run_id, line


def _named(run) -> str:
    started = datetime.datetime.fromtimestamp((run.info.start_time or 0) / 1000, datetime.UTC)
    name = f"{run.info.run_name} " if run.info.run_name else ""
    return f"{name}{run.info.run_id} started {started:%Y-%m-%d %H:%M} UTC"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", default="xner", help="MLflow experiment name")
    parser.add_argument("--metric", default="test/f1", help="metric, e.g. test/f1 or test_f1")
    parser.add_argument("--format", default="markdown", choices=FORMATS)
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--parent", default=None, help="the sweep run to read (default: the newest sweep)"
    )
    scope.add_argument(
        "--all", action="store_true", help="every run of the experiment, all sweeps mixed"
    )
    parser.add_argument(
        "--filter", default="", help="extra MLflow search filter, e.g. tags.seed='1'"
    )
    _add_table_options(parser)


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    """What the table shows and how its gap is chosen; --save and --cost."""
    parser.add_argument("--scale", type=float, default=100.0, help="multiply values (100: points)")
    parser.add_argument(
        "--save",
        action="store_true",
        help="also log the table to the --parent run (replaces its report/ artifacts)",
    )
    parser.add_argument(
        "--prefer",
        default=",".join(DEFAULT_PREFERENCE),
        help="projection columns in order of preference for the gap (comma-separated)",
    )
    parser.add_argument(
        "--choose-by",
        default=None,
        metavar="METRIC",
        help="choose the gap's projection column by this validation metric (e.g. val/f1); "
        "never a test metric",
    )
    parser.add_argument(
        "--resamples", type=int, default=1000, help="paired-bootstrap draws (0: no intervals)"
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="also the compute hours of each cell (as if run alone) and F1 points per hour",
    )


def run(args: argparse.Namespace) -> int:
    """Print the gap table (languages x methods) of a sweep; --save logs it to that sweep."""
    import sys

    if args.save and not args.parent:
        raise ConfigError("--save needs --parent RUN: the sweep run the report is saved to")
    uri = tracking_uri(args.tracking_uri)
    parent, scope = report_scope(open_client(uri), args.experiment, args.parent, args.all)
    print(scope, file=sys.stderr)
    prefer = [p.strip() for p in args.prefer.split(",") if p.strip()]
    table, runs = build_table(
        uri,
        args.experiment,
        parent,
        args.filter,
        args.metric,
        args.scale,
        prefer,
        args.choose_by,
        args.resamples,
    )
    if not table.rows:
        raise ConfigError(
            f"no finished runs with metric {table.metric} and tags lang/method "
            f"in experiment {args.experiment!r} of {uri}"
        )
    sys.stdout.write(
        _with_costs(table, runs, args.format) if args.cost else render(table, args.format)
    )
    if args.save:
        run_id = save_report(table, runs, uri, args.experiment, parent)
        print(f"report saved as artifacts {REPORT_ARTIFACT_DIR}/ of run {run_id}", file=sys.stderr)
    return 0


def _with_costs(table: Table, runs: Sequence[RunRecord], fmt: str) -> str:
    """The gap table and its cost table: one JSON object in json, two blocks otherwise."""
    import json

    costs = cost_table(table, runs)
    if fmt == "json":
        merged = json.loads(render(table, "json"))
        return json.dumps({**merged, **json.loads(render_costs(costs, "json"))}, indent=2) + "\n"
    return render(table, fmt) + "\n" + render_costs(costs, fmt)
