"""train.py end to end: every method on the synthetic corpus with the offline MiniLM, tiny runs."""

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

import evaluate
from helpers import clean_env, run_app, store_uri
from tiny_runs import job_runs
from xner.data.conll import read_conll

# conf/debug/tiny.yaml sizes the synthetic corpus; another corpus takes no n_* keys
NOT_SYNTHETIC = ("~data.n_train", "~data.n_dev", "~data.n_test")


def run_train(repo_root: Path, tmp_path: Path, *overrides: str, multirun: bool = False):
    done = run_app(
        repo_root, tmp_path, "train.py", "+debug=tiny", *overrides, multirun=multirun, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return MlflowClient(tracking_uri=store_uri(tmp_path)), done


@pytest.mark.slow
def test_every_method_runs_end_to_end_and_logs_the_same_metric_names(
    repo_root, tmp_path, tiny_train_sweep
):
    tiny_train_sweep.check()  # train.py -m +debug=tiny lang=syn +variant=<every method>
    done, store, uri = tiny_train_sweep, tiny_train_sweep.folder, tiny_train_sweep.uri
    client = MlflowClient(tracking_uri=uri)
    children = job_runs(uri)
    assert sorted(r.data.tags["variant"] for r in children) == sorted(
        [
            "supervised",
            "model_transfer",
            "teacher_student",
            *(f"{m}[{p}]" for m in ("translate_test", "translate_train", "ensemble")
              for p in ("heuristic", "ilp")),
        ]
    )  # fmt: skip
    for run in children:
        assert run.info.status == "FINISHED", run.data.tags["variant"]
        for name in ("test/f1", "test/precision", "test/recall"):
            assert 0.0 <= run.data.metrics[name] <= 1.0, (run.data.tags["variant"], name)
        paths = {a.path for a in client.list_artifacts(run.info.run_id, "predictions")}
        assert paths == {"predictions/test.conll", "predictions/test.gold.conll"}
        assert run.data.tags["xner.score_mode"] == "conlleval"
        assert rescored_f1(client, run.info.run_id, tmp_path) == run.data.metrics["test/f1"]
    # the source model is trained once and reused by every method that needs it
    assert len(list((store / "cache" / "source_model").glob("[0-9a-f]*"))) == 1
    # the sweep ends with the gap table, its interval and the rule that chose its column
    assert "teacher_student" in done.stdout and "gap" in done.stdout.lower()
    assert re.search(r"\| [+-]\d+\.\d \[[+-]\d+\.\d, [+-]\d+\.\d\] \|", done.stdout), done.stdout
    assert "chosen without test labels" in done.stdout
    by_variant = {r.data.tags["variant"]: r.info.run_id for r in children}
    compared = subprocess.run(
        [sys.executable, "evaluate.py", "compare", by_variant["translate_test[heuristic]"],
         by_variant["teacher_student"], "--json"],
        cwd=repo_root, capture_output=True, text=True, timeout=300,
        env=clean_env(MLFLOW_TRACKING_URI=uri),
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr[-2000:]
    result = json.loads(compared.stdout)
    assert result["n_sentences"] == 16 and result["low"] <= result["delta"] <= result["high"]
    metrics = {v: client.get_run(i).data.metrics["test/f1"] for v, i in by_variant.items()}
    expected = 100 * (metrics["translate_test[heuristic]"] - metrics["teacher_student"])
    assert result["delta"] == pytest.approx(expected)
    other = subprocess.run(  # supervised was scored on the same sentences: comparable too
        [sys.executable, "evaluate.py", "compare", by_variant["supervised"],
         by_variant["model_transfer"]],
        cwd=repo_root, capture_output=True, text=True, timeout=300,
        env=clean_env(MLFLOW_TRACKING_URI=uri),
    )  # fmt: skip
    assert other.returncode == 0 and "95 % paired-bootstrap interval" in other.stdout


def rescored_f1(client, run_id: str, tmp_path: Path) -> float:
    """``evaluate.py score`` with no flags on the run's logged predictions and gold."""
    folder = tmp_path / "rescore" / run_id
    pred = client.download_artifacts(run_id, "predictions/test.conll", str(folder))
    gold = client.download_artifacts(run_id, "predictions/test.gold.conll", str(folder))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert evaluate.main(["score", pred, gold, "--json"]) == 0
    return json.loads(buffer.getvalue())["f1"]


@pytest.mark.slow
def test_out_writes_test_predictions_and_a_rerun_matches(repo_root, tmp_path):
    out = tmp_path / "pred.conll"
    client, done = run_train(repo_root, tmp_path, "method=supervised", "lang=syn", f"out={out}")
    predicted = read_conll(out)
    assert len(predicted) == 16
    experiment = client.get_experiment_by_name("xner")
    (run,) = client.search_runs([experiment.experiment_id])
    rerun = subprocess.run(
        [sys.executable, "evaluate.py", "rerun", run.info.run_id, "--allow-out"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=clean_env(MLFLOW_TRACKING_URI=store_uri(tmp_path)),
        timeout=900,
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert rerun.stdout.startswith(f"rerunning {run.info.run_id}: ")


@pytest.mark.slow
def test_supervised_on_the_masakhaner2_file_layout(repo_root, tmp_path):
    from xner.data.conll import write_conll
    from xner.data.synthetic import generate

    corpus = generate(seed=3, n_train=40, n_dev=8, n_test=16)
    root = tmp_path / "MasakhaNER2.0" / "data"
    for split in ("train", "dev", "test"):
        write_conll(root / "hau" / f"{split}.txt", corpus.split("syn", split))
    client, done = run_train(
        repo_root,
        tmp_path,
        "method=supervised",
        "data=masakhaner2",
        f"data.root={root}",
        "lang=hau",
        "model=minilm",
        *NOT_SYNTHETIC,
    )
    assert "test F1" in done.stdout
    experiment = client.get_experiment_by_name("xner")
    (run,) = client.search_runs([experiment.experiment_id])
    assert (run.data.tags["dataset"], run.data.tags["lang"]) == ("masakhaner2", "hau")
