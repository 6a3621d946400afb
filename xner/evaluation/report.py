"""The gap report: target languages x methods from MLflow, projection − teacher-student.

The projection column of the gap is chosen without target test labels: by a preference list
(``--prefer``, default :data:`DEFAULT_PREFERENCE`) or by a validation metric the runs logged
(``--choose-by val/f1``). Each gap carries a paired-bootstrap 95 % interval over the test
sentences when both runs logged their per-sentence counts.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import statistics
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from xner.errors import ConfigError
from xner.evaluation.bootstrap import Difference, paired_bootstrap
from xner.tracking.names import (
    ERROR_TAG,
    GAP_RULE_TAG,
    METRIC_TAG,
    NOTE_TAG,
    PARENT_TAG,
    PROJECTION_METHODS,
    RERUN_TAG,
    REUSED_TAG,
    ROLE_TAG,
    TEACHER_STUDENT,
)
from xner.tracking.store import open_client, resolve_run, tracking_uri

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from xner.evaluation.counts import RunCounts

METHOD_ORDER = ("supervised", "model_transfer", *PROJECTION_METHODS, TEACHER_STUDENT)
SPLITS = ("test", "val", "dev", "train")
EXCLUDED_ROLES = ("parent", "report")
GAP = "gap"
EMPTY = "—"
FORMATS = ("markdown", "csv", "json")
# Data transfer first: translate-train, like teacher-student, trains a target-language model.
DEFAULT_PREFERENCE = (
    "translate_train[ilp]",
    "translate_train[heuristic]",
    "translate_test[ilp]",
    "translate_test[heuristic]",
)
INTERVAL_METRIC = "test/f1"


@dataclass(frozen=True)
class RunRecord:
    """What the report needs of one MLflow run."""

    run_id: str
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    parent_id: str | None = None
    run_name: str = ""
    start_time: int = 0


@dataclass(frozen=True)
class Cell:
    """Mean over seeds; std is the sample standard deviation, None for a single seed."""

    mean: float
    std: float | None
    run_ids: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.run_ids)


@dataclass(frozen=True)
class Table:
    """The gap table; values are the metric times `scale` (F1 in points for scale=100)."""

    metric: str
    scale: float
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]
    gaps: dict[str, float | None]
    best: dict[str, str | None]
    means: dict[str, float | None]
    rule: str = ""
    intervals: dict[str, Difference] = field(default_factory=dict)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)  # (row, column) -> reason

    @property
    def multi_seed(self) -> bool:
        return any(cell.n > 1 for cell in self.cells.values())

    @property
    def run_ids(self) -> list[str]:
        return sorted({rid for cell in self.cells.values() for rid in cell.run_ids})


def metric_name(name: str) -> str:
    """Accept `test_f1` for `test/f1`: the first underscore after a split prefix is a slash."""
    split, sep, rest = name.partition("_")
    if "/" not in name and sep and split in SPLITS and rest:
        return f"{split}/{rest}"
    return name


def variant_of(tags: Mapping[str, str]) -> str | None:
    """The table column of a run: tag `variant`, else method[projector] for projection methods."""
    if tags.get("variant"):
        return tags["variant"]
    method = tags.get("method")
    if method in PROJECTION_METHODS and tags.get("projector"):
        return f"{method}[{tags['projector']}]"
    return method or None


def method_family(variant: str) -> str:
    return variant.split("[", 1)[0]


def is_projection(variant: str) -> bool:
    return method_family(variant) in PROJECTION_METHODS


def column_key(variant: str) -> tuple[int, str]:
    family = method_family(variant)
    rank = METHOD_ORDER.index(family) if family in METHOD_ORDER else len(METHOD_ORDER)
    return rank, variant


def _source_lang(run: RunRecord) -> str | None:
    return run.tags.get("source_lang") or run.params.get("source_lang")


def _seed(run: RunRecord) -> str:
    return run.tags.get("seed") or run.params.get("seed") or run.run_id


def _countable(run: RunRecord, metric: str) -> bool:
    tags = run.tags
    return (
        metric in run.metrics
        and not math.isnan(run.metrics[metric])
        and bool(tags.get("lang"))
        and variant_of(tags) is not None
        and tags.get(ROLE_TAG) not in EXCLUDED_ROLES
        and RERUN_TAG not in tags
        and tags["lang"] != _source_lang(run)
    )


def _mean(values: Sequence[float | None]) -> float | None:
    """Mean over every entry, None when any is missing: the mean row compares the same rows."""
    if not values or any(v is None for v in values):
        return None
    return statistics.fmean(values)  # type: ignore[arg-type]


def student_column(row: str, columns: Sequence[str], cells: Mapping) -> str | None:
    """The teacher-student column of a row's gap: plain ``teacher_student``, else the only
    ``teacher_student[teacher→student]`` column present; several such columns give no gap."""
    present = [c for c in columns if method_family(c) == TEACHER_STUDENT and (row, c) in cells]
    if TEACHER_STUDENT in present:
        return TEACHER_STUDENT
    return present[0] if len(present) == 1 else None


def choose_projection(
    present: Sequence[str],
    prefer: Sequence[str],
    scores: Mapping[str, float] | None = None,
) -> str | None:
    """The gap's projection column: the highest selection score if any column has one, else
    the first of ``prefer`` present, else the first present (never a test score)."""
    if not present:
        return None
    if scores:
        scored = [c for c in present if c in scores]
        if scored:
            return max(scored, key=lambda c: scores[c])
    return next((c for c in prefer if c in present), present[0])


def check_selection_metric(metric: str | None) -> str | None:
    if metric is None:
        return None
    metric = metric_name(metric)
    if metric.startswith("test/"):
        raise ConfigError(
            f"--choose-by {metric}: the gap column is never chosen with target test labels; "
            "use a validation metric such as val/f1, or --prefer"
        )
    return metric


def describe_rule(prefer: Sequence[str], choose_by: str | None) -> str:
    order = " > ".join(prefer) if prefer else "column order"
    if choose_by:
        return f"highest {choose_by}, else preference {order}"
    return f"preference {order}"


def gap_table(
    runs: Sequence[RunRecord],
    metric: str = "test/f1",
    scale: float = 100.0,
    prefer: Sequence[str] = DEFAULT_PREFERENCE,
    choose_by: str | None = None,
) -> Table:
    """Group runs by (language, variant), average seeds; the latest run wins per seed."""
    metric = metric_name(metric)
    choose_by = check_selection_metric(choose_by)
    runs = [r for r in runs if _countable(r, metric)]
    datasets = {r.tags.get("dataset", "") for r in runs}

    def row_of(run: RunRecord) -> str:
        lang = run.tags["lang"]
        return f"{lang} ({run.tags.get('dataset', '')})" if len(datasets) > 1 else lang

    latest: dict[tuple[str, str, str], RunRecord] = {}
    for run in sorted(runs, key=lambda r: (r.start_time, r.run_id)):
        latest[(row_of(run), variant_of(run.tags), _seed(run))] = run  # type: ignore[index]

    grouped: dict[tuple[str, str], list[RunRecord]] = {}
    for (row, variant, _), run in sorted(latest.items()):
        grouped.setdefault((row, variant), []).append(run)

    cells = {}
    for key, group in grouped.items():
        values = [run.metrics[metric] * scale for run in group]
        std = statistics.stdev(values) if len(values) > 1 else None
        cells[key] = Cell(statistics.fmean(values), std, tuple(r.run_id for r in group))

    rows = sorted({row for row, _ in cells})
    columns = sorted({col for _, col in cells}, key=column_key)
    projections = [c for c in columns if is_projection(c)]
    gaps: dict[str, float | None] = {}
    best: dict[str, str | None] = {}
    for row in rows:
        present = [c for c in projections if (row, c) in cells]
        selection = _selection_scores(grouped, row, present, choose_by)
        best[row] = choose_projection(present, prefer, selection)
        student = cells.get((row, student_column(row, columns, cells) or ""))
        gap = None
        if best[row] is not None and student is not None:
            gap = cells[(row, best[row])].mean - student.mean  # type: ignore[index]
        gaps[row] = gap
    means = {
        col: _mean([cells[(row, col)].mean if (row, col) in cells else None for row in rows])
        for col in columns
    }
    means[GAP] = _mean([gaps[row] for row in rows])
    rule = describe_rule(prefer, choose_by)
    return Table(metric, scale, rows, columns, cells, gaps, best, means, rule)


def _selection_scores(
    grouped: Mapping[tuple[str, str], list[RunRecord]],
    row: str,
    present: Sequence[str],
    metric: str | None,
) -> dict[str, float]:
    """Mean ``metric`` of each present column whose runs all logged it."""
    if metric is None:
        return {}
    scores = {}
    for col in present:
        values = [r.metrics.get(metric) for r in grouped[(row, col)]]
        if values and all(v is not None and not math.isnan(v) for v in values):
            scores[col] = statistics.fmean(values)  # type: ignore[arg-type]
    return scores


def with_intervals(
    table: Table,
    counts_of: Callable[[str], RunCounts | None],
    n_resamples: int = 1000,
    seed: int = 0,
) -> Table:
    """The table with a paired-bootstrap interval on each gap whose runs logged their counts."""
    if table.metric != INTERVAL_METRIC:
        return table
    intervals = {}
    for row in table.rows:
        column = student_column(row, table.columns, table.cells) or ""
        chosen, student = table.best[row], table.cells.get((row, column))
        if chosen is None or student is None:
            continue
        projection = [counts_of(r) for r in table.cells[(row, chosen)].run_ids]
        students = [counts_of(r) for r in student.run_ids]
        found = [c for c in [*projection, *students] if c is not None]
        if len(found) < len(projection) + len(students):
            continue
        if any(found[0].comparable(c) for c in found[1:]):
            continue
        intervals[row] = paired_bootstrap(
            [c.matrix for c in projection],  # type: ignore[union-attr]
            [c.matrix for c in students],  # type: ignore[union-attr]
            n_resamples,
            seed,
            table.scale,
        )
    return replace(table, intervals=intervals)


def with_failures(table: Table, failed: Sequence[RunRecord]) -> Table:
    """Mark the cells of failed runs (``failed: <reason>``) that no finished run fills."""
    import dataclasses

    marks = dict(table.failed)
    for run in failed:
        column, lang = variant_of(run.tags), run.tags.get("lang")
        if not column or not lang:
            continue
        row = next((r for r in table.rows if r == lang or r.startswith(f"{lang} (")), lang)
        if (row, column) not in table.cells:
            marks[(row, column)] = run.tags.get(ERROR_TAG) or "no reason recorded"
    rows = sorted({*table.rows, *(row for row, _ in marks)})
    columns = sorted({*table.columns, *(col for _, col in marks)}, key=column_key)
    gaps = {row: table.gaps.get(row) for row in rows}
    best = {row: table.best.get(row) for row in rows}
    means = {col: table.means.get(col) for col in columns} | {GAP: table.means.get(GAP)}
    return dataclasses.replace(
        table, rows=rows, columns=columns, gaps=gaps, best=best, means=means, failed=marks
    )


def _cell_text(table: Table, row: str, col: str, digits: int) -> str:
    if (row, col) not in table.cells and (row, col) in table.failed:
        reason = table.failed[(row, col)]
        return "failed: " + (reason if len(reason) <= 60 else reason[:57] + "...")
    return _fmt_cell(table.cells.get((row, col)), digits)


def _fmt(value: float | None, digits: int, signed: bool = False) -> str:
    if value is None:
        return EMPTY
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _fmt_cell(cell: Cell | None, digits: int) -> str:
    if cell is None:
        return EMPTY
    if cell.std is None:
        return _fmt(cell.mean, digits)
    return f"{cell.mean:.{digits}f} ± {cell.std:.{digits}f}"


def _fmt_gap(table: Table, row: str, digits: int) -> str:
    interval = table.intervals.get(row)
    value = _fmt(table.gaps[row], digits, signed=True)
    if interval is None or table.gaps[row] is None:
        return value
    return f"{value} [{interval.low:+.{digits}f}, {interval.high:+.{digits}f}]"


def caption(table: Table) -> str:
    scale = f" × {table.scale:g}" if table.scale != 1 else ""
    seeds = ", mean ± std over seeds" if table.multi_seed else ""
    lines = [
        f"{table.metric}{scale}{seeds}; {GAP} = projection − {TEACHER_STUDENT}, the projection "
        f"column chosen without test labels ({table.rule}); mean row over all languages"
    ]
    if table.intervals:
        n = next(iter(table.intervals.values())).n_resamples
        lines.append(
            f"[low, high]: 95 % paired-bootstrap interval over test sentences ({n} resamples); "
            "an interval that excludes 0 is a gap larger than test-set noise"
        )
    return "\n".join(lines)


def to_markdown(table: Table, digits: int = 1) -> str:
    header = ["lang", *table.columns, GAP]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---", *["---:"] * (len(header) - 1)]) + "|",
    ]
    for row in table.rows:
        values = [_cell_text(table, row, col, digits) for col in table.columns]
        values.append(_fmt_gap(table, row, digits))
        lines.append("| " + " | ".join([row, *values]) + " |")
    values = [_fmt(table.means[col], digits) for col in table.columns]
    values.append(_fmt(table.means[GAP], digits, signed=True))
    lines.append("| " + " | ".join(["mean", *values]) + " |")
    failures = [f"- {col} {row} failed: {why}" for (row, col), why in sorted(table.failed.items())]
    return "\n".join([*lines, "", caption(table), *([""] + failures if failures else [])]) + "\n"


def to_csv(table: Table, digits: int = 2) -> str:
    """Wide CSV; `<column> std` columns follow each column when some cell has several seeds."""

    def num(value: float | None) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    header = ["lang"]
    for col in table.columns:
        header += [col, f"{col} std"] if table.multi_seed else [col]
    bounds = [f"{GAP} low", f"{GAP} high", f"{GAP} p"] if table.intervals else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, GAP, *bounds])
    for row in table.rows:
        values = [row]
        for col in table.columns:
            cell = table.cells.get((row, col))
            values.append(num(cell.mean if cell else None))
            if table.multi_seed:
                values.append(num(cell.std if cell else None))
        interval = table.intervals.get(row)
        limits = [interval.low, interval.high] if interval else [None, None]
        extra = [num(v) for v in limits] + [f"{interval.p_value:.4f}" if interval else ""]
        writer.writerow([*values, num(table.gaps[row]), *(extra if bounds else [])])
    values = ["mean"]
    for col in table.columns:
        values += [num(table.means[col]), ""] if table.multi_seed else [num(table.means[col])]
    writer.writerow([*values, num(table.means[GAP]), *([""] * len(bounds))])
    return out.getvalue()


def to_dict(table: Table) -> dict:
    rows = []
    for row in table.rows:
        cells = {
            col: {"mean": cell.mean, "std": cell.std, "n": cell.n, "run_ids": list(cell.run_ids)}
            for col in table.columns
            if (cell := table.cells.get((row, col))) is not None
        }
        interval = table.intervals.get(row)
        rows.append(
            {
                "lang": row,
                "cells": cells,
                "best_projection": table.best[row],
                GAP: table.gaps[row],
                "gap_interval": interval.as_dict() if interval else None,
            }
        )
    return {
        "metric": table.metric,
        "scale": table.scale,
        "gap_rule": table.rule,
        "columns": table.columns,
        "rows": rows,
        "mean": table.means,
        "failed": [
            {"lang": row, "column": col, "reason": why}
            for (row, col), why in sorted(table.failed.items())
        ],
    }


def to_json(table: Table) -> str:
    return json.dumps(to_dict(table), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"markdown": to_markdown, "csv": to_csv, "json": to_json}


def render(table: Table, fmt: str = "markdown") -> str:
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](table)


def save_bar_chart(table: Table, path: Path) -> None:
    """Grouped bars: one group per language (and the mean), one bar per column, std as error bar."""
    from matplotlib.figure import Figure

    groups = [*table.rows, "mean"]
    width = 0.8 / max(len(table.columns), 1)
    fig = Figure(figsize=(max(6.0, 1.2 * len(groups) * max(len(table.columns), 1) * 0.5), 4.5))
    ax = fig.add_subplot()
    for i, col in enumerate(table.columns):
        heights, errors = [], []
        for row in table.rows:
            cell = table.cells.get((row, col))
            heights.append(cell.mean if cell else 0.0)
            errors.append((cell.std or 0.0) if cell else 0.0)
        heights.append(table.means[col] or 0.0)
        errors.append(0.0)
        xs = [g + (i - (len(table.columns) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, heights, width, yerr=errors, label=col, capsize=2)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(f"{table.metric}" + (f" × {table.scale:g}" if table.scale != 1 else ""))
    ax.set_title(f"{table.metric} by target language and method")
    ax.legend(fontsize="small", ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def record_of(run) -> RunRecord:
    """RunRecord from an mlflow.entities.Run."""
    tags = dict(run.data.tags)
    return RunRecord(
        run_id=run.info.run_id,
        tags=tags,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        parent_id=tags.get(PARENT_TAG),
        run_name=run.info.run_name or "",
        start_time=run.info.start_time or 0,
    )


def _experiment_id(client: MlflowClient, experiment: str) -> str:
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = sorted(e.name for e in client.search_experiments())
        raise ConfigError(
            f"no experiment {experiment!r} in {client.tracking_uri}; "
            f"experiments: {', '.join(names) or 'none'}"
        )
    return found.experiment_id


def search_all(
    client: MlflowClient, experiment_ids: list[str], filter_string: str, page_size: int = 1000
) -> list:
    """Every matching run, following the pagination tokens."""
    runs, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids, filter_string, max_results=page_size, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def load_runs(
    uri: str | None = None,
    experiment: str = "xner",
    parent: str | None = None,
    filters: str = "",
    page_size: int = 1000,
) -> list[RunRecord]:
    """The finished runs of an experiment.

    With `parent`: its child runs, plus the finished runs a restarted sweep reused (tags
    `xner.reused.<job>` on the parent).
    """
    client = open_client(uri)
    clauses = ["attributes.status = 'FINISHED'"]
    if parent:
        clauses.append(f"tags.`{PARENT_TAG}` = '{parent}'")
    if filters:
        clauses.append(filters)
    experiment_id = _experiment_id(client, experiment)
    runs = search_all(client, [experiment_id], " and ".join(clauses), page_size)
    if parent:
        seen = {run.info.run_id for run in runs}
        tags = client.get_run(parent).data.tags
        reused = sorted({v for k, v in tags.items() if k.startswith(f"{REUSED_TAG}.")} - seen)
        runs += [client.get_run(run_id) for run_id in reused]
    return [record_of(run) for run in runs]


def load_failed_runs(uri: str | None, experiment: str, parent: str) -> list[RunRecord]:
    """The child runs of a sweep that FAILED or were KILLED (their reason: tag xner.error)."""
    client = open_client(uri)
    clauses = f"tags.`{PARENT_TAG}` = '{parent}'"
    runs = search_all(client, [_experiment_id(client, experiment)], clauses)
    return [record_of(r) for r in runs if r.info.status in ("FAILED", "KILLED")]


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
    artifact_path: str = "report",
) -> str:
    """Log the table (md, csv, json) and its bar chart to the sweep's parent run; returns its id.

    Without a parent run the artifacts go to a new run named "report".
    """
    client = open_client(uri)
    run_id = parent or report_parent(client, table, runs)
    new_run = run_id is None
    if new_run:
        tags = {ROLE_TAG: "report", METRIC_TAG: table.metric}
        run_id = client.create_run(
            _experiment_id(client, experiment), run_name="report", tags=tags
        ).info.run_id
    stem = table.metric.replace("/", "_")
    client.set_tag(run_id, GAP_RULE_TAG, table.rule)
    for row, interval in table.intervals.items():
        key = f"gap/{_metric_safe(row)}"
        values = {key: interval.delta, f"{key}/low": interval.low, f"{key}/high": interval.high}
        for name, value in {**values, f"{key}/p": interval.p_value}.items():
            client.log_metric(run_id, name, value)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"gap_{stem}.md").write_text(to_markdown(table), encoding="utf-8")
        (folder / f"gap_{stem}.csv").write_text(to_csv(table), encoding="utf-8")
        (folder / f"gap_{stem}.json").write_text(to_json(table), encoding="utf-8")
        save_bar_chart(table, folder / f"gap_{stem}.png")
        client.log_artifacts(run_id, tmp, artifact_path)
    client.set_tag(run_id, NOTE_TAG, to_markdown(table))  # the run's description in the UI
    if new_run:
        client.set_terminated(run_id)
    return run_id


def _metric_safe(name: str) -> str:
    """An MLflow metric key part: ``yor (masakhaner2)`` → ``yor_masakhaner2``."""
    return re.sub(r"[^\w.\-]+", "_", name).strip("_")


def build_table(
    uri: str,
    experiment: str = "xner",
    parent: str | None = None,
    filters: str = "",
    metric: str = "test/f1",
    scale: float = 100.0,
    prefer: Sequence[str] = DEFAULT_PREFERENCE,
    choose_by: str | None = None,
    resamples: int = 1000,
) -> tuple[Table, list[RunRecord]]:
    """The gap table of the store's finished runs, with intervals (``resamples=0``: none)."""
    from xner.evaluation.counts import load_counts

    runs = load_runs(uri, experiment, parent, filters)
    table = gap_table(runs, metric, scale, prefer, choose_by)
    if resamples > 0:
        client = open_client(uri)
        table = with_intervals(table, lambda run_id: load_counts(client, run_id), resamples)
    return table, runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", default="xner", help="MLflow experiment name")
    parser.add_argument("--metric", default="test/f1", help="metric, e.g. test/f1 or test_f1")
    parser.add_argument("--format", default="markdown", choices=FORMATS)
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")
    parser.add_argument("--parent", default=None, help="only the child runs of this sweep run")
    parser.add_argument(
        "--filter", default="", help="extra MLflow search filter, e.g. tags.seed='1'"
    )
    parser.add_argument("--scale", type=float, default=100.0, help="multiply values (100: points)")
    parser.add_argument("--no-save", action="store_true", help="print only; log no artifacts")
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


def run(args: argparse.Namespace) -> int:
    """Print the gap table (languages x methods) and save it to the sweep's parent run."""
    import sys

    uri = tracking_uri(args.tracking_uri)
    parent = resolve_run(open_client(uri), args.parent).info.run_id if args.parent else None
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
    if parent:
        table = with_failures(table, load_failed_runs(uri, args.experiment, parent))
    if not table.rows:
        raise ConfigError(
            f"no finished runs with metric {table.metric} and tags lang/method "
            f"in experiment {args.experiment!r} of {uri}"
        )
    sys.stdout.write(render(table, args.format))
    if not args.no_save:
        run_id = save_report(table, runs, uri, args.experiment, parent)
        print(f"report saved as artifacts report/ of run {run_id}", file=sys.stderr)
    return 0
