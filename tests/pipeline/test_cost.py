"""Compute accounting: a stage's measured cost, the cost a cache hit reuses, the job's metrics."""

import json
import time

import numpy as np
import pytest

from xner.pipeline.cache import COST_FILE, StageCache
from xner.pipeline.cost import Cost, measuring
from xner.pipeline.cost_report import cost_metrics


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_sleep_is_wall_time_and_a_burn_is_cpu_time():
    with measuring() as slept:
        time.sleep(0.3)
    with measuring() as burnt:
        _burn(0.3)
    assert slept[0].wall_s >= 0.3 and slept[0].cpu_s < 0.15
    assert burnt[0].cpu_s >= 0.3 and burnt[0].wall_s >= 0.3
    assert slept[0].gpu_s == burnt[0].gpu_s == 0.0  # no CUDA here


def test_the_peak_memory_is_the_stage_s_own():
    big = np.ones(300 * 2**20 // 8)  # 300 MB, freed before the next stage
    del big
    with measuring() as small:
        np.ones(2**20 // 8)
    with measuring() as large:
        block = np.ones(200 * 2**20 // 8)
        block[::512] = 2.0
        del block
    assert large[0].peak_rss_mb - small[0].peak_rss_mb >= 150
    assert small[0].peak_rss_mb < large[0].peak_rss_mb


def test_costs_add_seconds_and_keep_the_higher_peak():
    a = Cost(wall_s=1, cpu_s=2, peak_rss_mb=100, gpu_s=1, peak_gpu_mb=50)
    b = Cost(wall_s=3, cpu_s=1, peak_rss_mb=80, gpu_s=0, peak_gpu_mb=70)
    assert a + b == Cost(wall_s=4, cpu_s=3, peak_rss_mb=100, gpu_s=1, peak_gpu_mb=70)
    assert Cost.from_dict({"wall_s": 2, "other": "x"}) == Cost(wall_s=2)


def test_a_cache_hit_reports_the_stored_cost_and_is_marked_reused(tmp_path):
    first = StageCache(tmp_path)

    def compute():
        _burn(0.2)
        return [1, 2, 3]

    value, key = first.get_or_compute("label", {"k": 1}, [], compute)
    [(stage, cost, reused)] = first.costs
    assert (stage, reused, value) == ("label", False, [1, 2, 3]) and cost.cpu_s >= 0.2
    stored = json.loads((first.path("label", key) / COST_FILE).read_text())
    assert Cost.from_dict(stored) == Cost.from_dict(cost.as_dict())

    again = StageCache(tmp_path)  # another job: it reuses the entry and its cost
    assert again.get_or_compute("label", {"k": 1}, [], lambda: pytest.fail("recomputed"))[0] == [
        1,
        2,
        3,
    ]
    assert again.costs == [("label", Cost.from_dict(cost.as_dict()), True)]


def test_a_cached_folder_reuses_its_build_cost(tmp_path):
    def build(folder):
        _burn(0.2)
        (folder / "weights").write_text("w")

    first = StageCache(tmp_path)
    first.get_or_build_folder("source_model", {"m": 1}, [], build)
    [(_, built, reused)] = first.costs
    assert not reused and built.cpu_s >= 0.2
    again = StageCache(tmp_path)
    again.get_or_build_folder("source_model", {"m": 1}, [], lambda f: pytest.fail("rebuilt"))
    assert again.costs == [("source_model", Cost.from_dict(built.as_dict()), True)]


def test_an_entry_from_before_costs_is_reused_at_no_cost(tmp_path):
    first = StageCache(tmp_path)
    _, key = first.get_or_compute("label", None, [], lambda: 1)
    (first.path("label", key) / COST_FILE).unlink()
    again = StageCache(tmp_path)
    again.get_or_compute("label", None, [], lambda: 2)
    assert again.costs == [("label", Cost(), True)]


def test_cost_metrics_as_if_alone_and_as_spent():
    costs = [
        ("source_model", Cost(wall_s=100, cpu_s=90, peak_rss_mb=900), True),
        ("teacher_probs", Cost(wall_s=10, cpu_s=8, peak_rss_mb=500), False),
        ("teacher_probs", Cost(wall_s=5, cpu_s=4, peak_rss_mb=600), False),
    ]
    metrics, record = cost_metrics(costs, Cost(wall_s=30, cpu_s=25, peak_rss_mb=1000))
    assert metrics["cost/source_model/wall_s"] == 100 and metrics["cost/source_model/reused"] == 1
    assert metrics["cost/teacher_probs/wall_s"] == 15 and metrics["cost/teacher_probs/reused"] == 0
    assert metrics["cost/teacher_probs/peak_rss_mb"] == 600
    assert (metrics["cost/alone/wall_s"], metrics["cost/spent/wall_s"]) == (115, 15)
    assert (metrics["cost/alone/peak_rss_mb"], metrics["cost/spent/peak_rss_mb"]) == (900, 600)
    assert metrics["cost/job/wall_s"] == 30
    assert [s["reused"] for s in record["stages"]] == [True, False, False]
    assert record["alone"]["cpu_s"] == 102 and record["spent"]["cpu_s"] == 12


def test_system_metrics_are_sampled_until_the_run_ends(tmp_path):
    from helpers import mlflow_store
    from xner.tracking.runs import JobRun
    from xner.tracking.system_metrics import start_monitor

    uri, client, experiment = mlflow_store(tmp_path)
    run_id = client.create_run(experiment).info.run_id
    job = JobRun(uri, run_id, experiment, start_monitor(uri, run_id, 0.2))
    time.sleep(1.0)
    job.finish()
    sampled = client.get_run(run_id).data.metrics
    assert "system/cpu_utilization_percentage" in sampled
    assert "system/system_memory_usage_megabytes" in sampled
    assert client.get_run(run_id).info.status == "FINISHED" and job.monitor is None


def _run(i: int, method: str, f1: float, **costs: float):
    from xner.tracking.store import RunRecord

    tags = {"lang": "hau", "dataset": "masakhaner2", "seed": "1", "method": method}
    return RunRecord(f"r{i}", tags, {}, {"test/f1": f1, **costs}, start_time=i)


HAND_MADE = [  # hours worked out: (job - spent + alone) / 3600
    _run(1, "model_transfer", 0.40, **{"cost/job/wall_s": 360, "cost/spent/wall_s": 0,
                                       "cost/alone/wall_s": 3600}),  # reused source model: 1.1 h
    _run(2, "teacher_student", 0.52, **{"cost/job/wall_s": 7200, "cost/spent/wall_s": 0,
                                        "cost/alone/wall_s": 3600}),  # 3.0 h
    _run(3, "translate_train", 0.60, **{"cost/alone/wall_s": 7200}),  # project.py-style: 2.0 h
    _run(4, "translate_test", 0.30),  # logged no costs
]  # fmt: skip


def test_cost_table_as_if_alone_and_points_per_hour_over_model_transfer():
    from xner.evaluation.cost_table import cost_table, render_costs
    from xner.evaluation.gap import gap_table

    table = gap_table(HAND_MADE)
    costs = cost_table(table, HAND_MADE)
    assert costs.hours == {
        ("hau", "model_transfer"): pytest.approx(1.1),
        ("hau", "teacher_student"): pytest.approx(3.0),
        ("hau", "translate_train"): pytest.approx(2.0),
    }
    assert costs.per_hour == {
        ("hau", "teacher_student"): pytest.approx(12 / 1.9),
        ("hau", "translate_train"): pytest.approx(20 / 0.9),
    }
    text = render_costs(costs, "markdown")
    assert text.splitlines()[2].startswith("| hau | 1.10 h |")
    assert "3.00 h (+6.3/h)" in text and "2.00 h (+22.2/h)" in text and "—" in text
    rows = json.loads(render_costs(costs, "json"))["costs"]
    assert {r["column"] for r in rows} == {
        "model_transfer",
        "teacher_student",
        "translate_train",
    }


def test_report_cli_prints_the_cost_table(tmp_path, capsys):
    import evaluate
    from helpers import mlflow_store

    uri, client, experiment = mlflow_store(tmp_path)
    for run in HAND_MADE:
        run_id = client.create_run(experiment, tags=dict(run.tags)).info.run_id
        for name, value in run.metrics.items():
            client.log_metric(run_id, name, value)
        client.set_terminated(run_id)
    assert evaluate.main(["report", "--tracking-uri", uri, "--cost", "--resamples", "0"]) == 0
    out = capsys.readouterr().out
    assert "| lang |" in out and "3.00 h (+6.3/h)" in out and "compute hours per job" in out
    assert evaluate.main(["report", "--tracking-uri", uri, "--cost", "--format", "json"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert "costs" in merged and len(merged["costs"]) == 3


def test_a_measurement_around_others_keeps_the_peak_they_reset():
    with measuring() as outer:
        with measuring() as inner:
            block = np.ones(200 * 2**20 // 8)
            block[::512] = 2.0
            del block
        with measuring() as after:
            pass
    assert outer[0].peak_rss_mb >= inner[0].peak_rss_mb > after[0].peak_rss_mb + 150
