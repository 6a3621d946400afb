"""The gap table as text (markdown, CSV, JSON) and as a bar chart."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from xner.evaluation.bootstrap import Difference
from xner.evaluation.gap import GAP, Cell, Table, method_family, student_column, with_role
from xner.method_kind import DISTILLATION
from xner.options import one_of
from xner.tracking.names import NONDETERMINISTIC_TAG

if TYPE_CHECKING:
    from pathlib import Path

EMPTY = "—"
DAGGER = "†"  # a cell whose runs are tagged nondeterministic: a cold rerun may move it
FORMATS = ("markdown", "csv", "json")


def _cell_text(table: Table, row: str, col: str, digits: int) -> str:
    if (row, col) not in table.cells and (row, col) in table.failed:
        reason = table.failed[(row, col)]
        return "failed: " + (reason if len(reason) <= 60 else reason[:57] + "...")
    cell = table.cells.get((row, col))
    return _fmt_cell(cell, digits) + (DAGGER if cell and cell.nondeterministic else "")


def _fmt(value: float | None, digits: int, signed: bool = False) -> str:
    if value is None:
        return EMPTY
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _fmt_cell(cell: Cell | None, digits: int) -> str:
    if cell is None:
        return EMPTY
    if cell.std is None:
        return _fmt(cell.mean, digits)
    return f"{cell.mean:.{digits}f} ± {cell.std:.{digits}f} (n={cell.n})"


def _gap_marked(table: Table, row: str) -> bool:
    """Whether either cell of a row's gap is marked nondeterministic."""
    student = student_column(row, table.columns, table.cells, table.kinds)
    cells = [table.cells.get((row, c)) for c in (table.best.get(row), student) if c]
    return any(cell and cell.nondeterministic for cell in cells)


def _fmt_gap(table: Table, row: str, digits: int) -> str:
    interval = table.intervals.get(row)
    value = _fmt(table.gaps[row], digits, signed=True)
    if table.gaps[row] is not None and _gap_marked(table, row):
        value += DAGGER
    if interval is None or table.gaps[row] is None:
        return value
    return _with_interval(value, interval, digits)


def _with_interval(value: str, interval: Difference | None, digits: int) -> str:
    if interval is None:
        return value
    return f"{value} [{interval.low:+.{digits}f}, {interval.high:+.{digits}f}]"


def _students(table: Table) -> str:
    """The distillation side of the gap by its methods' names (teacher_student)."""
    students = with_role(table.columns, table.kinds, DISTILLATION)
    names = dict.fromkeys(method_family(c) for c in students)
    return " / ".join(names) or DISTILLATION


def caption(table: Table) -> str:
    scale = f" × {table.scale:g}" if table.scale != 1 else ""
    seeds = ", mean ± std over seeds" if table.multi_seed else ""
    lines = [
        f"{table.metric}{scale}{seeds}; {GAP} = projection − {_students(table)}, the projection "
        f"column chosen without test labels ({table.rule}); mean row over all languages"
    ]
    if table.multi_seed:
        lines.append(
            "± std (n=k): run-to-run variance, the standard deviation over k seeds (a seed fixes "
            "initialisation, data order and alignment); a cell without it ran one seed"
        )
    if table.intervals:
        n = next(iter(table.intervals.values())).n_resamples
        lines.append(
            f"[low, high]: 95 % paired-bootstrap interval over test sentences ({n} resamples); "
            "an interval that excludes 0 is a gap larger than test-set noise"
            + (
                "; the mean row's resamples each language's sentences apart"
                if table.mean_interval
                else ""
            )
        )
    if parts := table.nondeterministic:
        lines.append(
            f"{DAGGER}: a run of the cell is tagged {NONDETERMINISTIC_TAG} ({'; '.join(parts)}): "
            "a cold rerun with the same seed may move it"
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
    mean_gap = _fmt(table.means[GAP], digits, signed=True)
    values.append(_with_interval(mean_gap, table.mean_interval, digits))
    lines.append("| " + " | ".join(["mean", *values]) + " |")
    failures = [f"- {col} {row} failed: {why}" for (row, col), why in sorted(table.failed.items())]
    return "\n".join([*lines, "", caption(table), *([""] + failures if failures else [])]) + "\n"


def to_csv(table: Table, digits: int = 2) -> str:
    """Wide CSV; `<column> std` columns follow each column when some cell has several seeds,
    `<column> low`/`high` (its bootstrap interval) when some cell's runs logged counts."""

    def num(value: float | None) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    cell_bounds = bool(table.cell_intervals)
    header = ["lang"]
    for col in table.columns:
        header += [col, f"{col} std"] if table.multi_seed else [col]
        header += [f"{col} low", f"{col} high"] if cell_bounds else []
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
            if cell_bounds:
                values += [num(v) for v in table.cell_intervals.get((row, col), (None, None))]
        interval = table.intervals.get(row)
        limits = [interval.low, interval.high] if interval else [None, None]
        extra = [num(v) for v in limits] + [f"{interval.p_value:.4f}" if interval else ""]
        writer.writerow([*values, num(table.gaps[row]), *(extra if bounds else [])])
    values = ["mean"]
    per_column = 1 + table.multi_seed + 2 * cell_bounds
    for col in table.columns:
        values += [num(table.means[col]), *[""] * (per_column - 1)]
    pooled = table.mean_interval
    extra = [num(pooled.low), num(pooled.high), f"{pooled.p_value:.4f}"] if pooled else [""] * 3
    writer.writerow([*values, num(table.means[GAP]), *(extra if bounds else [])])
    return out.getvalue()


def to_dict(table: Table) -> dict:
    rows = []
    for row in table.rows:
        cells = {
            col: {
                "mean": cell.mean,
                "std": cell.std,
                "n": cell.n,
                "run_ids": list(cell.run_ids),
                "nondeterministic": list(cell.nondeterministic),
                "interval": list(bounds)
                if (bounds := table.cell_intervals.get((row, col)))
                else None,
            }
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
        "mean_gap_interval": table.mean_interval.as_dict() if table.mean_interval else None,
        "failed": [
            {"lang": row, "column": col, "reason": why}
            for (row, col), why in sorted(table.failed.items())
        ],
    }


def to_json(table: Table) -> str:
    return json.dumps(to_dict(table), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"markdown": to_markdown, "csv": to_csv, "json": to_json}


def render(table: Table, fmt: str = "markdown") -> str:
    return RENDERERS[one_of("report format", fmt, FORMATS)](table)


def _error_bar(table: Table, row: str, col: str) -> tuple[float, float]:
    """(below, above) the bar: the std over seeds, else the bootstrap interval, else none."""
    cell = table.cells.get((row, col))
    if cell is None:
        return 0.0, 0.0
    if cell.std is not None:
        return cell.std, cell.std
    low, high = table.cell_intervals.get((row, col), (cell.mean, cell.mean))
    return max(cell.mean - low, 0.0), max(high - cell.mean, 0.0)


def save_bar_chart(table: Table, path: Path) -> None:
    bar_chart(table).savefig(path, dpi=120)


def bar_chart(table: Table) -> Any:
    """Grouped bars: one group per language (and the mean), one bar per column; error bars: the
    std over seeds, else the cell's bootstrap interval."""
    from matplotlib.figure import Figure

    groups = [*table.rows, "mean"]
    width = 0.8 / max(len(table.columns), 1)
    bars = 1.2 * len(groups) * max(len(table.columns), 1) * 0.5
    fig = Figure(figsize=(max(6.0, bars) + 2.5, 4.5))  # + the legend's column
    ax = fig.add_subplot()
    for i, col in enumerate(table.columns):
        heights, below, above = [], [], []
        for row in table.rows:
            cell = table.cells.get((row, col))
            heights.append(cell.mean if cell else 0.0)
            low, high = _error_bar(table, row, col)
            below.append(low)
            above.append(high)
        heights.append(table.means[col] or 0.0)
        below.append(0.0)
        above.append(0.0)
        xs = [g + (i - (len(table.columns) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, heights, width, yerr=[below, above], label=col, capsize=2)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(f"{table.metric}" + (f" × {table.scale:g}" if table.scale != 1 else ""))
    ax.set_title(f"{table.metric} by target language and method")
    # the legend goes beside the axes, never over the bars
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig
