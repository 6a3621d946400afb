"""The gap report: exact tables from hand-made runs, in memory and from a temporary MLflow store."""

import importlib.util
import json
import os
import subprocess
import sys
import time
from argparse import Namespace

import pytest

from helpers import mlflow_store
from xner.errors import ConfigError
from xner.evaluation.gap import gap_table, metric_name, variant_of, with_intervals
from xner.evaluation.render import (
    _error_bar,
    bar_chart,
    render,
    save_bar_chart,
    to_csv,
    to_dict,
    to_markdown,
)
from xner.evaluation.report import report_parent, save_report
from xner.evaluation.report import run as report_command
from xner.paths import PROJECT_ROOT
from xner.tracking.store import RunRecord, load_runs

# (lang, tags beyond lang, seed, test/f1): the runs that make the table.
COUNTED = [
    ("de", {"variant": "supervised", "method": "supervised"}, 1, 0.90),
    ("de", {"method": "model_transfer"}, 1, 0.50),
    ("de", {"method": "model_transfer"}, 2, 0.52),
    ("de", {"method": "translate_test", "projector": "heuristic"}, 1, 0.65),
    ("de", {"method": "translate_test", "projector": "ilp"}, 1, 0.70),
    ("de", {"method": "translate_test", "projector": "ilp"}, 2, 0.72),
    ("de", {"method": "teacher_student"}, 1, 0.60),
    ("de", {"method": "teacher_student"}, 2, 0.62),
    ("es", {"method": "model_transfer"}, 1, 0.40),
    ("es", {"variant": "translate_test[heuristic]", "method": "translate_test"}, 1, 0.55),
    ("es", {"method": "translate_test", "projector": "ilp"}, 1, 0.53),
    ("es", {"method": "translate_train", "projector": "heuristic"}, 1, 0.58),
    ("es", {"method": "teacher_student"}, 1, 0.50),
]

EXPECTED_MARKDOWN = """\
| lang | supervised | model_transfer | translate_test[heuristic] | translate_test[ilp] \
| translate_train[heuristic] | teacher_student | gap |
|:---|---:|---:|---:|---:|---:|---:|---:|
| de | 90.0 | 51.0 ± 1.4 (n=2) | 65.0 | 71.0 ± 1.4 (n=2) | — | 61.0 ± 1.4 (n=2) | +10.0 |
| es | — | 40.0 | 55.0 | 53.0 | 58.0 | 50.0 | +8.0 |
| mean | — | 45.5 | 60.0 | 62.0 | — | 55.5 | +9.0 |

test/f1 × 100, mean ± std over seeds; gap = projection − teacher_student, the projection \
column chosen without test labels (preference ensemble[ilp] > ensemble[heuristic] > \
translate_train[ilp] > translate_train[heuristic] > translate_test[ilp] > \
translate_test[heuristic]); mean row over all languages
± std (n=k): run-to-run variance, the standard deviation over k seeds (a seed fixes \
initialisation, data order and alignment); a cell without it ran one seed
"""

EXPECTED_CSV = """\
lang,supervised,supervised std,model_transfer,model_transfer std,\
translate_test[heuristic],translate_test[heuristic] std,translate_test[ilp],\
translate_test[ilp] std,translate_train[heuristic],translate_train[heuristic] std,\
teacher_student,teacher_student std,gap
de,90.00,,51.00,1.41,65.00,,71.00,1.41,,,61.00,1.41,10.00
es,,,40.00,,55.00,,53.00,,58.00,,50.00,,8.00
mean,,,45.50,,60.00,,62.00,,,,55.50,,9.00
"""


def record(i: int, lang: str, extra: dict, seed: int, f1: float, **kw) -> RunRecord:
    tags = {"lang": lang, "dataset": "europarl", "seed": str(seed), **extra}
    return RunRecord(f"run{i:02d}", tags, {"source_lang": "en"}, {"test/f1": f1}, **kw)


def counted_records() -> list[RunRecord]:
    return [record(i, *row, start_time=1000 + i) for i, row in enumerate(COUNTED)]


def noise_records() -> list[RunRecord]:
    """Runs the table must ignore or let newer runs replace."""
    return [
        # an older run of the same (lang, variant, seed): the newer one wins
        record(50, "es", {"method": "model_transfer"}, 1, 0.10, start_time=1),
        record(51, "en", {"method": "supervised"}, 1, 0.95),  # source language
        record(52, "de", {"method": "model_transfer", "xner.rerun_of": "run01"}, 1, 0.11),
        record(53, "de", {"method": "teacher_student", "xner.role": "parent"}, 1, 0.12),
        RunRecord("run54", {"lang": "de", "method": "model_transfer"}, {}, {"val/f1": 0.3}),
        RunRecord("run55", {"method": "model_transfer"}, {}, {"test/f1": 0.3}),  # no lang
        record(56, "de", {"method": "model_transfer"}, 3, float("nan")),
    ]


def test_metric_alias_and_default_variant():
    assert metric_name("test_f1") == "test/f1"
    assert metric_name("test_f1_PER") == "test/f1_PER"
    assert metric_name("val_f1") == "val/f1"
    assert metric_name("test/f1") == "test/f1"
    assert metric_name("loss") == "loss"
    assert variant_of({"method": "translate_train", "projector": "ilp"}) == "translate_train[ilp]"
    assert variant_of({"method": "teacher_student", "projector": "ilp"}) == "teacher_student"
    assert variant_of({"method": "translate_test", "variant": "tt"}) == "tt"
    assert variant_of({}) is None


def test_gap_table_exact():
    table = gap_table(noise_records() + counted_records(), "test_f1")
    assert table.rows == ["de", "es"]
    assert table.columns == [
        "supervised",
        "model_transfer",
        "translate_test[heuristic]",
        "translate_test[ilp]",
        "translate_train[heuristic]",
        "teacher_student",
    ]
    cell = table.cells[("de", "model_transfer")]
    assert cell.mean == pytest.approx(51.0)
    assert cell.std == pytest.approx(2**0.5)
    assert cell.run_ids == ("run01", "run02")
    assert table.cells[("es", "model_transfer")].run_ids == ("run08",)
    assert table.cells[("es", "model_transfer")].std is None
    assert table.best == {"de": "translate_test[ilp]", "es": "translate_train[heuristic]"}
    assert table.gaps == pytest.approx({"de": 10.0, "es": 8.0})
    assert table.means["supervised"] is None
    assert table.means["translate_train[heuristic]"] is None
    assert table.means["model_transfer"] == pytest.approx(45.5)
    assert table.means["gap"] == pytest.approx(9.0)
    assert to_markdown(table) == EXPECTED_MARKDOWN
    assert to_csv(table) == EXPECTED_CSV


def test_gap_column_is_never_the_test_maximum_by_itself():
    runs = [
        record(1, "hau", {"method": "translate_test", "projector": "ilp"}, 1, 0.80),
        record(2, "hau", {"method": "translate_train", "projector": "heuristic"}, 1, 0.60),
        record(3, "hau", {"method": "teacher_student"}, 1, 0.50),
    ]
    table = gap_table(runs)  # preference: translate_train before translate_test
    assert table.best == {"hau": "translate_train[heuristic]"}
    assert table.gaps["hau"] == pytest.approx(10.0)
    assert "preference ensemble[ilp] > ensemble[heuristic] > translate_train[ilp] >" in (
        to_markdown(table)
    )
    table = gap_table(runs, prefer=["translate_test[ilp]"])
    assert (table.best["hau"], table.gaps["hau"]) == ("translate_test[ilp]", pytest.approx(30.0))


def test_the_ensemble_comes_after_translate_train_and_first_in_the_preference():
    runs = [
        record(1, "hau", {"method": "translate_test", "projector": "ilp"}, 1, 0.80),
        record(2, "hau", {"method": "translate_train", "projector": "ilp"}, 1, 0.60),
        record(3, "hau", {"method": "ensemble", "projector": "heuristic"}, 1, 0.55),
        record(4, "hau", {"method": "ensemble", "projector": "ilp"}, 1, 0.40),
        record(5, "hau", {"method": "teacher_student"}, 1, 0.50),
        record(6, "hau", {"method": "model_transfer"}, 1, 0.30),
    ]
    table = gap_table(runs)
    assert table.columns == [
        "model_transfer",
        "translate_test[ilp]",
        "translate_train[ilp]",
        "ensemble[heuristic]",
        "ensemble[ilp]",
        "teacher_student",
    ]
    assert table.best == {"hau": "ensemble[ilp]"}  # not the highest test F1 of the three
    assert table.gaps["hau"] == pytest.approx(-10.0)
    without_ilp = gap_table([r for r in runs if r.run_id != "run04"])
    assert without_ilp.best == {"hau": "ensemble[heuristic]"}


def test_gap_column_by_validation_metric():
    val = {"method": "translate_test", "projector": "ilp"}
    runs = [
        RunRecord("a", {"lang": "hau", **val}, {}, {"test/f1": 0.8, "val/f1": 0.4}),
        RunRecord(
            "b",
            {"lang": "hau", "method": "translate_train", "projector": "ilp"},
            {},
            {"test/f1": 0.6, "val/f1": 0.7},
        ),  # fmt: skip
        RunRecord("c", {"lang": "hau", "method": "teacher_student"}, {}, {"test/f1": 0.5}),
    ]
    table = gap_table(runs, choose_by="val_f1", prefer=["translate_test[ilp]"])
    assert table.best["hau"] == "translate_train[ilp]"
    assert table.rule.startswith("highest val/f1")
    with pytest.raises(ConfigError, match="never chosen with target test labels"):
        gap_table(runs, choose_by="test/f1")


def test_intervals_render_in_every_format():
    import numpy as np

    from xner.evaluation.counts import RunCounts

    runs = [
        record(1, "hau", {"method": "translate_train", "projector": "ilp"}, 1, 6 / 7),
        record(2, "hau", {"method": "teacher_student"}, 1, 4 / 6),
    ]
    # 4 sentences, one gold entity each: the projection finds 3 of them, the student 2.
    projection = np.array([[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 1]])
    student = np.array([[1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 1]])
    counts = {"run01": projection, "run02": student}

    def counts_of(run_id: str) -> RunCounts:
        return RunCounts(run_id, counts[run_id], "conlleval", (), "d1")

    table = with_intervals(gap_table(runs), counts_of)
    interval = table.intervals["hau"]
    assert interval.delta == pytest.approx(table.gaps["hau"])  # counts and metrics agree
    assert interval.low <= interval.delta <= interval.high
    markdown = to_markdown(table)
    assert f"| +{interval.delta:.1f} [{interval.low:+.1f}, {interval.high:+.1f}] |" in markdown
    assert "95 % paired-bootstrap interval over test sentences (1000 resamples)" in markdown
    assert to_csv(table).splitlines()[0].endswith("gap,gap low,gap high,gap p")
    row = to_dict(table)["rows"][0]
    assert row["gap_interval"]["n_sentences"] == 4
    assert with_intervals(gap_table(runs), lambda run_id: None).intervals == {}


def test_the_mean_rows_gap_has_a_pooled_interval(tmp_path):
    import numpy as np

    from xner.evaluation.bootstrap import pooled_bootstrap
    from xner.evaluation.counts import RunCounts

    # hau as in test_intervals_render_in_every_format; yor: 3 sentences, projection 2 of 3,
    # the student 1 of 3
    runs = [
        record(1, "hau", {"method": "translate_train", "projector": "ilp"}, 1, 6 / 7),
        record(2, "hau", {"method": "teacher_student"}, 1, 4 / 6),
        record(3, "yor", {"method": "translate_train", "projector": "ilp"}, 1, 4 / 5),
        record(4, "yor", {"method": "teacher_student"}, 1, 2 / 4),
    ]
    counts = {
        "run01": np.array([[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 1]]),
        "run02": np.array([[1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 1]]),
        "run03": np.array([[1, 1, 1], [1, 1, 1], [0, 0, 1]]),
        "run04": np.array([[1, 1, 1], [0, 0, 1], [0, 0, 1]]),
    }

    def counts_of(run_id: str) -> RunCounts | None:
        digest = "hau" if run_id in ("run01", "run02") else "yor"  # the test set's sentences
        return RunCounts(run_id, counts[run_id], "conlleval", (), digest)

    table = with_intervals(gap_table(runs), counts_of)
    pooled = table.mean_interval
    assert pooled == pooled_bootstrap(
        [([counts["run01"]], [counts["run02"]]), ([counts["run03"]], [counts["run04"]])]
    )
    assert pooled.delta == pytest.approx(table.means["gap"])
    assert pooled.n_sentences == 7
    mean_row = to_markdown(table).splitlines()[4]
    assert mean_row == (
        f"| mean | {table.means['translate_train[ilp]']:.1f} | "
        f"{table.means['teacher_student']:.1f} | "
        f"+{pooled.delta:.1f} [{pooled.low:+.1f}, {pooled.high:+.1f}] |"
    )
    assert "the mean row's resamples each language's sentences apart" in to_markdown(table)
    assert (
        to_csv(table)
        .splitlines()[-1]
        .endswith(f",{pooled.delta:.2f},{pooled.low:.2f},{pooled.high:.2f},{pooled.p_value:.4f}")
    )
    assert to_dict(table)["mean_gap_interval"]["n_sentences"] == 7
    # one-seed cells get their own bootstrap interval (csv, json, the chart's error bars)
    assert sorted(table.cell_intervals) == sorted(table.cells)
    for key, (low, high) in table.cell_intervals.items():
        assert low <= table.cells[key].mean <= high and low < high
    assert to_dict(table)["rows"][0]["cells"]["teacher_student"]["interval"] == list(
        table.cell_intervals[("hau", "teacher_student")]
    )
    assert to_csv(table).splitlines()[0] == (
        "lang,translate_train[ilp],translate_train[ilp] low,translate_train[ilp] high,"
        "teacher_student,teacher_student low,teacher_student high,gap,gap low,gap high,gap p"
    )
    assert "[" not in to_markdown(table).splitlines()[2].split("|")[2]  # markdown stays compact
    below, above = _error_bar(table, "yor", "teacher_student")
    low, high = table.cell_intervals[("yor", "teacher_student")]
    assert (below, above) == pytest.approx((50.0 - low, high - 50.0)) and below + above > 0
    save_bar_chart(table, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    figure = bar_chart(table)  # the legend beside the axes, not over the bars
    (axes,) = figure.axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    legend_box = axes.get_legend().get_window_extent(renderer)
    assert legend_box.x0 >= axes.get_window_extent(renderer).x1
    # a language without counts: its gap has no interval, and neither has the mean
    partial = with_intervals(gap_table(runs), lambda r: counts_of(r) if r != "run04" else None)
    assert list(partial.intervals) == ["hau"] and partial.mean_interval is None
    assert to_dict(partial)["mean_gap_interval"] is None


def test_json_rendering():
    data = json.loads(render(gap_table(counted_records()), "json"))
    assert data["metric"] == "test/f1"
    assert data["scale"] == 100.0
    assert [row["lang"] for row in data["rows"]] == ["de", "es"]
    de = data["rows"][0]
    assert de["best_projection"] == "translate_test[ilp]"
    assert de["gap"] == pytest.approx(10.0)
    assert sorted(de["cells"]) == sorted(
        ["supervised", "model_transfer", "translate_test[heuristic]"]
        + ["translate_test[ilp]", "teacher_student"]
    )
    assert de["cells"]["teacher_student"]["n"] == 2
    assert de["cells"]["teacher_student"]["std"] == pytest.approx(2**0.5)
    assert de["cells"]["supervised"] == {
        "mean": pytest.approx(90.0),
        "std": None,
        "n": 1,
        "run_ids": ["run00"],
        "nondeterministic": [],
        "interval": None,  # no counts logged
    }
    assert data["mean"]["gap"] == pytest.approx(9.0)
    assert data["mean"]["supervised"] is None


def test_single_seed_table_has_no_std_and_no_gap_without_teacher_student():
    runs = [
        record(1, "yor", {"method": "model_transfer"}, 1, 0.25),
        record(2, "hau", {"method": "translate_test", "projector": "ilp"}, 1, 0.5),
        record(3, "hau", {"method": "teacher_student"}, 1, 0.375),
    ]
    table = gap_table(runs)
    assert to_markdown(table).splitlines()[:5] == [
        "| lang | model_transfer | translate_test[ilp] | teacher_student | gap |",
        "|:---|---:|---:|---:|---:|",
        "| hau | — | 50.0 | 37.5 | +12.5 |",
        "| yor | 25.0 | — | — | — |",
        "| mean | — | — | — | — |",
    ]
    assert (
        to_csv(table).splitlines()[0]
        == "lang,model_transfer,translate_test[ilp],teacher_student,gap"
    )
    assert "± std" not in to_markdown(table)


def test_cells_of_nondeterministic_runs_and_their_gap_are_marked():
    unseeded = {"xner.nondeterministic": "aligner unseeded (aligner.seed=null)"}
    gpu = {"xner.nondeterministic": "training on GPU; aligner unseeded (aligner.seed=null)"}
    runs = [
        record(1, "hau", {"method": "translate_test", "projector": "ilp", **unseeded}, 1, 0.5),
        record(2, "hau", {"method": "translate_test", "projector": "ilp"}, 2, 0.6),
        record(3, "hau", {"method": "teacher_student"}, 1, 0.375),
        record(4, "yor", {"method": "teacher_student", **gpu}, 1, 0.25),
        record(5, "yor", {"method": "model_transfer"}, 1, 0.2),
    ]
    table = gap_table(runs)
    assert table.cells[("hau", "translate_test[ilp]")].nondeterministic == (
        "aligner unseeded (aligner.seed=null)",
    )
    assert table.cells[("hau", "teacher_student")].nondeterministic == ()
    lines = to_markdown(table).splitlines()
    assert lines[2] == "| hau | — | 55.0 ± 7.1 (n=2)† | 37.5 | +17.5† |"
    assert lines[3] == "| yor | 20.0 | — | 25.0† | — |"
    assert lines[-1] == (
        "†: a run of the cell is tagged xner.nondeterministic (aligner unseeded "
        "(aligner.seed=null); training on GPU): a cold rerun with the same seed may move it"
    )
    assert "± std (n=k): run-to-run variance" in lines[-2]
    row = to_dict(table)["rows"][1]
    assert row["cells"]["teacher_student"]["nondeterministic"] == [
        "aligner unseeded (aligner.seed=null)",
        "training on GPU",
    ]
    assert "†" not in to_markdown(gap_table(runs[1:3]))


def test_rows_name_the_dataset_when_several():
    runs = [
        record(1, "yor", {"method": "model_transfer", "dataset": "wikiann"}, 1, 0.2),
        record(2, "yor", {"method": "model_transfer", "dataset": "masakhaner2"}, 1, 0.3),
    ]
    assert gap_table(runs).rows == ["yor (masakhaner2)", "yor (wikiann)"]


def test_unknown_format_is_a_config_error():
    with pytest.raises(ConfigError, match="report format='.*': choose one of markdown"):
        render(gap_table(counted_records()), "html")


# --- against a real (temporary) MLflow store ---------------------------------------------


def _log(client, experiment_id, start, tags, metrics=None, status="FINISHED", name=None):
    from mlflow.entities import Metric, Param

    run = client.create_run(experiment_id, start_time=start, tags=tags, run_name=name)
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, start, 0) for k, v in (metrics or {}).items()],
        params=[Param("source_lang", "en")],
    )
    client.set_terminated(run_id, status)
    return run_id


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Sweep parents p0 < p1 < p2 (start times); de under p1, es under p2, noise under p0."""
    root = tmp_path_factory.mktemp("mlflow")
    uri, client, exp = mlflow_store(root)
    other = client.create_experiment("other", artifact_location=(root / "other").as_uri())
    base = int(time.time() * 1000) - 100_000
    parents = [
        _log(client, exp, base + 10 * k, {"xner.role": "parent"}, name=f"sweep{k}")
        for k in range(3)
    ]
    ids = {}
    for i, (lang, extra, seed, f1) in enumerate(COUNTED):
        parent = parents[1] if lang == "de" else parents[2]
        tags = {"lang": lang, "dataset": "europarl", "seed": str(seed), **extra}
        tags["mlflow.parentRunId"] = parent
        ids[i] = _log(client, exp, base + 100 + i, tags, {"test/f1": f1, "val/f1": 0.0})
    noise = {"lang": "es", "method": "model_transfer", "seed": "1", "dataset": "europarl"}
    _log(client, exp, base + 50, {**noise, "mlflow.parentRunId": parents[0]}, {"test/f1": 0.1})
    _log(client, exp, base + 300, noise, {"test/f1": 0.99}, status="FAILED")
    _log(client, exp, base + 301, {**noise, "lang": "en"}, {"test/f1": 0.99})
    _log(client, other, base + 302, {**noise, "lang": "fr"}, {"test/f1": 0.99})
    client.set_tag(parents[2], "xner.reused.7", ids[6])  # de teacher_student seed 1, from sweep1
    return {"uri": uri, "client": client, "parents": parents, "ids": ids, "root": root}


def test_load_runs_from_store_gives_the_table(store):
    runs = load_runs(store["uri"], "xner")
    assert len(runs) == len(COUNTED) + 3 + 2  # three parents, the old duplicate, the source run
    assert to_markdown(gap_table(runs)) == EXPECTED_MARKDOWN
    paged = load_runs(store["uri"], "xner", page_size=4)
    assert sorted(r.run_id for r in paged) == sorted(r.run_id for r in runs)
    record_ = next(r for r in runs if r.run_id == store["ids"][1])
    assert record_.parent_id == store["parents"][1]
    assert record_.metrics["test/f1"] == pytest.approx(0.50)


def test_load_runs_of_one_parent_with_its_reused_runs(store):
    runs = load_runs(store["uri"], "xner", parent=store["parents"][2])
    table = gap_table(runs)
    assert table.rows == ["de", "es"]
    assert table.cells[("de", "teacher_student")].run_ids == (store["ids"][6],)
    assert len(table.cells) == 6
    assert report_parent(store["client"], table, runs) == store["parents"][2]


def test_unknown_experiment_and_missing_store(store, tmp_path):
    with pytest.raises(
        ConfigError, match="no experiment 'nope'.*experiments: Default, other, xner"
    ):
        load_runs(store["uri"], "nope")
    with pytest.raises(ConfigError, match="no MLflow store at"):
        load_runs(f"sqlite:///{tmp_path}/absent.db", "xner")
    assert not (tmp_path / "absent.db").exists()


def _artifacts(client, run_id: str) -> list[str]:
    return sorted(a.path for a in client.list_artifacts(run_id, "report"))


def test_save_report_goes_to_the_latest_parent(store):
    runs = load_runs(store["uri"], "xner")
    table = gap_table(runs)
    run_id = save_report(table, runs, store["uri"], "xner")
    assert run_id == store["parents"][2]
    assert _artifacts(store["client"], run_id) == [
        "report/gap_test_f1.csv",
        "report/gap_test_f1.json",
        "report/gap_test_f1.md",
        "report/gap_test_f1.png",
    ]
    local = store["client"].download_artifacts(run_id, "report", str(store["root"] / "dl"))
    assert open(os.path.join(local, "gap_test_f1.md"), encoding="utf-8").read() == EXPECTED_MARKDOWN
    with open(os.path.join(local, "gap_test_f1.png"), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"


def test_save_report_without_parent_creates_a_report_run(store):
    runs = [r for r in load_runs(store["uri"], "xner") if r.run_id in store["ids"].values()]
    runs = [RunRecord(r.run_id, r.tags, r.params, r.metrics) for r in runs]  # parents forgotten
    run_id = save_report(gap_table(runs), runs, store["uri"], "xner")
    made = store["client"].get_run(run_id)
    assert made.info.run_name == "report"
    assert made.data.tags["xner.role"] == "report"
    assert made.info.status == "FINISHED"
    assert len(_artifacts(store["client"], run_id)) == 4
    assert to_markdown(gap_table(load_runs(store["uri"], "xner"))) == EXPECTED_MARKDOWN


def test_report_command_in_process(store, capsys):
    args = Namespace(
        experiment="xner",
        metric="test_f1",
        format="markdown",
        tracking_uri=store["uri"],
        parent="sweep1",  # a run name works as well as an id
        filter="",
        scale=100.0,
        save=False,
        cost=False,
        all=False,
        prefer="translate_train[ilp],translate_test[ilp]",
        choose_by=None,
        resamples=1000,
    )
    assert report_command(args) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[2]
        == "| de | 90.0 | 51.0 ± 1.4 (n=2) | 65.0 | 71.0 ± 1.4 (n=2) | 61.0 ± 1.4 (n=2) | +10.0 |"
    )
    assert to_dict(gap_table(load_runs(store["uri"], "xner", store["parents"][1])))["rows"][0][
        "gap"
    ] == pytest.approx(10.0)


def _cli(uri: str, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    return subprocess.run(
        [sys.executable, "evaluate.py", *argv],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_report_csv(store):
    result = _cli(store["uri"], "report", "--all", "--format", "csv", "--metric", "test_f1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    assert result.stderr == "report of every run in experiment 'xner', all sweeps mixed\n"


def _evaluate():
    spec = importlib.util.spec_from_file_location("evaluate_cli", PROJECT_ROOT / "evaluate.py")
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    return evaluate


def _stored_reports(store) -> dict[str, dict[str, str]]:
    """Every parent's report artifacts and tags: what reading must leave as it was."""
    client, seen = store["client"], {}
    for parent in store["parents"]:
        run = client.get_run(parent)
        files = {a.path: a.file_size for a in client.list_artifacts(parent, "report")}
        seen[parent] = {**run.data.tags, **{k: str(v) for k, v in files.items()}}
        seen[parent] |= {f"metric {k}": str(v) for k, v in run.data.metrics.items()}
    return seen


def test_report_reads_the_newest_sweep_and_changes_nothing(store, monkeypatch, capsys):
    evaluate = _evaluate()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    before = _stored_reports(store)
    assert evaluate.main(["report", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    newest = store["parents"][2]
    assert err.startswith(f"report of the newest sweep, sweep2 {newest} started ")
    assert err.endswith(" UTC (--all: every run of the experiment)\n")
    data = json.loads(out)
    assert [row["lang"] for row in data["rows"]] == ["de", "es"]
    assert list(data["rows"][0]["cells"]) == ["teacher_student"]  # reused from sweep1
    assert evaluate.main(["report", "--all"]) == 0
    assert evaluate.main(["report", "--parent", "sweep1"]) == 0
    capsys.readouterr()
    assert _stored_reports(store) == before


def test_report_saves_only_when_asked_and_to_the_parent_given(store, monkeypatch, capsys):
    evaluate = _evaluate()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    assert evaluate.main(["report", "--save"]) == 2
    assert capsys.readouterr().err == (
        "error: --save needs --parent RUN: the sweep run the report is saved to\n"
    )
    assert evaluate.main(["report", "--save", "--parent", "sweep0"]) == 0
    err = capsys.readouterr().err
    assert f"report saved as artifacts report/ of run {store['parents'][0]}" in err
    assert len(_artifacts(store["client"], store["parents"][0])) == 4


def test_report_shows_the_failed_jobs_of_a_sweep_and_of_the_experiment(tmp_path, capsys):
    uri, client, exp = mlflow_store(tmp_path)
    base = int(time.time() * 1000) - 10_000
    parent = _log(client, exp, base, {"xner.role": "parent"}, name="hau-sweep")
    child = {"lang": "hau", "seed": "1", "mlflow.parentRunId": parent}
    _log(client, exp, base + 1, {**child, "method": "teacher_student"}, {"test/f1": 0.5})
    failed = {**child, "method": "translate_test", "projector": "ilp"}
    _log(client, exp, base + 2, {**failed, "xner.error": "no network"}, status="FAILED")
    killed = {**child, "method": "model_transfer", "xner.error": "SLURM time limit"}
    _log(client, exp, base + 3, killed, status="KILLED")
    evaluate = _evaluate()
    for scope in ([], ["--all"]):
        assert evaluate.main(["report", "--tracking-uri", uri, "--resamples", "0", *scope]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[2] == ("| hau | failed: SLURM time limit | failed: no network | 50.0 | — |")
        assert lines[-2:] == [
            "- model_transfer hau failed: SLURM time limit",
            "- translate_test[ilp] hau failed: no network",
        ]


def test_cli_report_errors_are_one_line(store, monkeypatch, capsys):
    evaluate = _evaluate()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    assert evaluate.main(["report", "--experiment", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no experiment 'nope'")
    assert len(err.strip().splitlines()) == 1
