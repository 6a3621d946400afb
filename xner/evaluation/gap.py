"""The gap table: target languages x methods over run records, projection − teacher-student.

The projection column of the gap is chosen without target test labels: by a preference list
(``--prefer``, default :data:`DEFAULT_PREFERENCE`) or by a validation metric the runs logged
(``--choose-by val/f1``). Each gap carries a paired-bootstrap 95 % interval over the test
sentences when both runs logged their per-sentence counts.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from xner.errors import ConfigError
from xner.evaluation.bootstrap import (
    Difference,
    f1_interval,
    paired_bootstrap,
    pooled_bootstrap,
)
from xner.method_kind import DISTILLATION, LAST, PROJECTION, MethodKind, kind_named
from xner.tracking.names import (
    ERROR_TAG,
    METHOD_ORDER_TAG,
    METHOD_ROLE_TAG,
    NONDETERMINISTIC_TAG,
    PARENT_ROLE,
    REPORT_ROLE,
    RERUN_TAG,
    ROLE_TAG,
    variant_name,
)

if TYPE_CHECKING:
    from xner.evaluation.counts import RunCounts
    from xner.tracking.store import RunRecord

SPLITS = ("test", "val", "dev", "train")
EXCLUDED_ROLES = (PARENT_ROLE, REPORT_ROLE)
GAP = "gap"
# The ensemble first (it combines both projection methods), then translate-train (like
# teacher-student, it trains a target-language model), then translate-test.
DEFAULT_PREFERENCE = (
    "ensemble[ilp]",
    "ensemble[heuristic]",
    "translate_train[ilp]",
    "translate_train[heuristic]",
    "translate_test[ilp]",
    "translate_test[heuristic]",
)
INTERVAL_METRIC = "test/f1"


@dataclass(frozen=True)
class Cell:
    """Mean over seeds; std is the sample standard deviation, None for a single seed;
    ``nondeterministic``: what its runs' ``xner.nondeterministic`` tags name (a cold rerun
    may move the cell)."""

    mean: float
    std: float | None
    run_ids: tuple[str, ...]
    nondeterministic: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.run_ids)


@dataclass(frozen=True)
class ColumnKind:
    """What a column's method declared (:class:`xner.method_kind.MethodKind`), as its runs
    carry it: its gap-table role and its place in the column order."""

    role: str | None = None
    order: int = LAST


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
    mean_interval: Difference | None = None  # the mean row's gap, languages resampled apart
    cell_intervals: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)  # (row, column) -> reason
    kinds: dict[str, ColumnKind] = field(default_factory=dict)  # column -> its method's role

    @property
    def multi_seed(self) -> bool:
        return any(cell.n > 1 for cell in self.cells.values())

    @property
    def run_ids(self) -> list[str]:
        return sorted({rid for cell in self.cells.values() for rid in cell.run_ids})

    @property
    def nondeterministic(self) -> list[str]:
        """Every part some cell's runs are tagged nondeterministic for."""
        return sorted({p for cell in self.cells.values() for p in cell.nondeterministic})


def metric_name(name: str) -> str:
    """Accept `test_f1` for `test/f1`: the first underscore after a split prefix is a slash."""
    split, sep, rest = name.partition("_")
    if "/" not in name and sep and split in SPLITS and rest:
        return f"{split}/{rest}"
    return name


def variant_of(tags: Mapping[str, str]) -> str | None:
    """The table column of a run: tag `variant`, else its method's column name from the method
    and projector tags (runs that logged no variant)."""
    if tags.get("variant"):
        return tags["variant"]
    return variant_name(_declared(tags.get("method") or ""), tags.get("projector")) or None


def method_family(variant: str) -> str:
    return variant.split("[", 1)[0]


def column_kind(tags: Mapping[str, str]) -> ColumnKind:
    """A run's column role and order from its tags (``xner.method_role``/``_order``, logged at
    run start); a run from before those tags: the declaration of its ``method`` tag's config."""
    role = tags.get(METHOD_ROLE_TAG)
    if role:
        order = tags.get(METHOD_ORDER_TAG) or ""
        return ColumnKind(role, int(order) if order.lstrip("-").isdigit() else LAST)
    kind = _declared(tags.get("method") or method_family(variant_of(tags) or ""))
    return ColumnKind(kind.role, kind.order)


@functools.cache
def _declared(method: str) -> MethodKind:
    """A method config's declaration, read once per report."""
    return kind_named(method)


def column_kinds(
    runs: Sequence[RunRecord], known: Mapping[str, ColumnKind] | None = None
) -> dict[str, ColumnKind]:
    """The kind of each column of ``runs`` (the first run of a column names it), after ``known``."""
    kinds = dict(known or {})
    for run in runs:
        column = variant_of(run.tags)
        if column and column not in kinds:
            kinds[column] = column_kind(run.tags)
    return kinds


def ordered(columns: Iterable[str], kinds: Mapping[str, ColumnKind]) -> list[str]:
    """Columns in their methods' declared order, then by name."""
    return sorted(set(columns), key=lambda c: (kinds.get(c, ColumnKind()).order, c))


def with_role(columns: Sequence[str], kinds: Mapping[str, ColumnKind], role: str) -> list[str]:
    return [c for c in columns if kinds.get(c, ColumnKind()).role == role]


def _source_lang(run: RunRecord) -> str | None:
    return run.tags.get("source_lang") or run.params.get("source_lang")


def _seed(run: RunRecord) -> str:
    return run.tags.get("seed") or run.params.get("seed") or run.run_id


def _nondeterministic(runs: Sequence[RunRecord]) -> tuple[str, ...]:
    """The parts the runs' ``xner.nondeterministic`` tags name ("; "-separated), sorted."""
    tags = (run.tags.get(NONDETERMINISTIC_TAG) or "" for run in runs)
    return tuple(sorted({p.strip() for tag in tags for p in tag.split(";") if p.strip()}))


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


def student_column(
    row: str, columns: Sequence[str], cells: Mapping, kinds: Mapping[str, ColumnKind]
) -> str | None:
    """The distillation column of a row's gap (teacher-student): the plain one (no
    ``[teacher→student]``), else the only one present; several such columns give no gap."""
    present = [c for c in with_role(columns, kinds, DISTILLATION) if (row, c) in cells]
    plain = [c for c in present if c == method_family(c)]
    if len(plain) == 1:
        return plain[0]
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
    grouped = _latest_by_cell([r for r in runs if _countable(r, metric)])
    cells = {}
    for key, group in grouped.items():
        values = [run.metrics[metric] * scale for run in group]
        std = statistics.stdev(values) if len(values) > 1 else None
        ids = tuple(r.run_id for r in group)
        cells[key] = Cell(statistics.fmean(values), std, ids, _nondeterministic(group))

    rows = sorted({row for row, _ in cells})
    kinds = column_kinds([run for group in grouped.values() for run in group])
    columns = ordered((col for _, col in cells), kinds)
    projections = with_role(columns, kinds, PROJECTION)
    gaps: dict[str, float | None] = {}
    best: dict[str, str | None] = {}
    for row in rows:
        present = [c for c in projections if (row, c) in cells]
        selection = _selection_scores(grouped, row, present, choose_by)
        best[row] = choose_projection(present, prefer, selection)
        student = cells.get((row, student_column(row, columns, cells, kinds) or ""))
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
    return Table(metric, scale, rows, columns, cells, gaps, best, means, rule, kinds=kinds)


def _latest_by_cell(runs: Sequence[RunRecord]) -> dict[tuple[str, str], list[RunRecord]]:
    """The runs of each (row, column), one per seed: the latest started wins."""
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
    return grouped


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
    """The table with a paired-bootstrap interval on each gap whose runs logged their counts,
    and on the mean row's gap when every language's gap has one."""
    if table.metric != INTERVAL_METRIC:
        return table
    counts_of = _read_once(counts_of)
    intervals, pairs = {}, []
    for row in table.rows:
        column = student_column(row, table.columns, table.cells, table.kinds) or ""
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
        pair = (
            [c.matrix for c in found[: len(projection)]],
            [c.matrix for c in found[len(projection) :]],
        )
        intervals[row] = paired_bootstrap(*pair, n_resamples, seed, table.scale)
        pairs.append(pair)
    pooled = None
    if table.means.get(GAP) is not None and len(intervals) == len(table.rows):
        pooled = pooled_bootstrap(pairs, n_resamples, seed, table.scale)
    cells = _cell_intervals(table, counts_of, n_resamples, seed)
    return replace(table, intervals=intervals, mean_interval=pooled, cell_intervals=cells)


def _read_once(
    counts_of: Callable[[str], RunCounts | None],
) -> Callable[[str], RunCounts | None]:
    """Each run's counts read once: its cell and its row's gap both need them."""
    known: dict[str, RunCounts | None] = {}

    def read(run_id: str) -> RunCounts | None:
        if run_id not in known:
            known[run_id] = counts_of(run_id)
        return known[run_id]

    return read


def _cell_intervals(
    table: Table, counts_of: Callable[[str], RunCounts | None], n_resamples: int, seed: int
) -> dict[tuple[str, str], tuple[float, float]]:
    """A bootstrap interval of each cell's F1 whose runs all logged comparable counts."""
    cells = {}
    for key, cell in table.cells.items():
        found = [c for c in (counts_of(r) for r in cell.run_ids) if c is not None]
        if len(found) == cell.n and not any(found[0].comparable(c) for c in found[1:]):
            matrices = [c.matrix for c in found]
            cells[key] = f1_interval(matrices, n_resamples, seed, table.scale)
    return cells


def with_failures(table: Table, failed: Sequence[RunRecord]) -> Table:
    """Mark the cells of failed runs (``failed: <reason>``) that no finished run fills."""
    marks = dict(table.failed)
    for run in failed:
        column, lang = variant_of(run.tags), run.tags.get("lang")
        if not column or not lang:
            continue
        row = next((r for r in table.rows if r == lang or r.startswith(f"{lang} (")), lang)
        if (row, column) not in table.cells:
            marks[(row, column)] = run.tags.get(ERROR_TAG) or "no reason recorded"
    rows = sorted({*table.rows, *(row for row, _ in marks)})
    kinds = column_kinds(failed, table.kinds)
    columns = ordered([*table.columns, *(col for _, col in marks)], kinds)
    gaps = {row: table.gaps.get(row) for row in rows}
    best = {row: table.best.get(row) for row in rows}
    means = {col: table.means.get(col) for col in columns} | {GAP: table.means.get(GAP)}
    return replace(
        table,
        rows=rows,
        columns=columns,
        gaps=gaps,
        best=best,
        means=means,
        failed=marks,
        kinds=kinds,
    )
