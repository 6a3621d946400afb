"""A run's status is the truth: Ctrl-C and SIGTERM end runs KILLED in one line (exit 130, 143),
temporary folders go with them, a job killed right after training is redone by the relaunched
sweep, and the relaunch ends the killed sweep's parent run.

The end-to-end tests run the real ``train.py`` / ``project.py`` through
``tests/interrupt_driver.py``, whose hooks mark the moment to signal (training, aligning) or
kill the job itself (right after restoring its best checkpoint).
"""

import os
import pickle
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import clean_env, store_uri
from sweep_support import (
    all_runs,
    driver_command,
    run_cli,
    signalled_command,
    split_runs,
)
from xner.run.signals import Interrupted, signal_of
from xner.tracking.abandoned import INCOMPLETE, end_abandoned_parents, find_finished_run, sweep_key
from xner.tracking.connection import ensure_experiment

TWO_COLUMNS = "+variant=model_transfer,translate_test_heuristic"


def _env(tmp_path: Path) -> dict[str, str]:
    """The job's temporary folders under ``tmp_path/tmp``, where a test can look for leftovers."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return clean_env(TMPDIR=str(tmp_path / "tmp"))


def _ours(tmp_path: Path) -> list[str]:
    return sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "tmp").glob("xner-*"))


def _one_line(done: subprocess.CompletedProcess) -> str:
    """The one ``interrupted`` line of a signalled run, and no traceback anywhere."""
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1, done.stderr[-3000:]
    return lines[0]


def _signalled(tmp_path, repo_root, hook, app, sig, *overrides, multirun=False, group=True):
    """(the signalled run, the temporary folders of ours that existed when it was signalled)."""
    seen: list[str] = []
    done = signalled_command(
        driver_command(hook, app, tmp_path, *overrides, multirun=multirun),
        repo_root,
        sig,
        _env(tmp_path),
        tmp_path / "logs",
        at_mark=lambda: seen.extend(_ours(tmp_path)),
        group=group,
    )
    return done, seen


def _killed_run(done, tmp_path: Path, sig: signal.Signals):
    """The one run of a single job ``sig`` stopped: KILLED, one line, the shell's status."""
    assert done.returncode == 128 + sig, done.stderr[-3000:]
    (run,) = all_runs(store_uri(tmp_path))
    assert _one_line(done) == f"interrupted ({sig.name}): run {run.info.run_id} ended KILLED"
    assert run.info.status == "KILLED"
    return run


def test_ctrl_c_during_training_ends_the_run_killed_in_one_line(repo_root, tmp_path):
    done, seen = _signalled(tmp_path, repo_root, "training", "train.py", signal.SIGINT)
    run = _killed_run(done, tmp_path, signal.SIGINT)
    assert run.data.tags["xner.error"] == "interrupted (SIGINT)"
    assert "xner.complete" not in run.data.tags
    assert seen == ["xner-ckpt"] and _ours(tmp_path) == []


def test_sigterm_during_training_ends_the_run_killed_exit_143(repo_root, tmp_path):
    done, seen = _signalled(
        tmp_path, repo_root, "training", "train.py", signal.SIGTERM, group=False
    )
    _killed_run(done, tmp_path, signal.SIGTERM)
    assert seen == ["xner-ckpt"] and _ours(tmp_path) == []


def test_ctrl_c_during_alignment_is_one_line_and_leaves_no_eflomal_folder(repo_root, tmp_path):
    done, seen = _signalled(tmp_path, repo_root, "aligning", "project.py", signal.SIGINT)
    _killed_run(done, tmp_path, signal.SIGINT)
    assert seen == ["xner-eflomal"] and _ours(tmp_path) == []


def test_ctrl_c_in_a_sweep_ends_the_job_and_the_parent_killed(repo_root, tmp_path):
    done, _ = _signalled(
        tmp_path, repo_root, "training", "train.py", signal.SIGINT, TWO_COLUMNS, multirun=True
    )
    assert done.returncode == 130, done.stderr[-3000:]
    parents, children = split_runs(all_runs(store_uri(tmp_path)))
    (parent,), (job,) = parents, children  # the second job never started
    assert _one_line(done) == (
        f"interrupted (SIGINT): run {job.info.run_id} and the sweep's parent run "
        f"{parent.info.run_id} ended KILLED"
    )
    assert parent.info.status == "KILLED" and job.info.status == "KILLED"
    assert parent.data.tags["xner.failed_jobs"] == job.info.run_name


def _gap_row(stdout: str, lang: str = "syn") -> dict[str, str]:
    """The cells of ``lang``'s row in the markdown gap table a sweep prints."""
    rows = [line for line in stdout.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    row = next(r for r in rows if r.startswith(f"| {lang} "))
    return dict(zip(header, (cell.strip() for cell in row.strip("|").split("|")), strict=True))


@pytest.mark.slow
def test_sweep_killed_right_after_training_is_redone_with_every_cell(repo_root, tmp_path):
    uri = store_uri(tmp_path)
    first = driver_command(
        "after_fit",
        "train.py",
        tmp_path,
        TWO_COLUMNS,
        f"hydra.sweep.dir={tmp_path}/a",
        multirun=True,
    )
    killed = run_cli(first, repo_root, _env(tmp_path))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    (old_parent,), (cut,) = split_runs(all_runs(uri))
    # Lightning's logger no longer ends the run when fit ends: it is RUNNING, without test metrics
    assert cut.info.status == "RUNNING" and "test/f1" not in cut.data.metrics
    # what a store written before xner owned the run's end holds: FINISHED, no test metrics
    from mlflow.tracking import MlflowClient

    MlflowClient(uri).set_terminated(cut.info.run_id, "FINISHED")

    again = driver_command(  # the same sweep, in another folder
        "none", "train.py", tmp_path, TWO_COLUMNS, f"hydra.sweep.dir={tmp_path}/b", multirun=True
    )
    done = run_cli(again, repo_root, _env(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "already finished" not in done.stdout
    row = _gap_row(done.stdout)
    for column in ("model_transfer", "translate_test[heuristic]"):
        float(row[column])  # a score in every cell, none missing
    runs = {r.info.run_id: r for r in all_runs(uri)}
    assert runs[cut.info.run_id].info.status == "KILLED"
    assert runs[cut.info.run_id].data.tags["xner.abandoned"] == INCOMPLETE
    assert runs[old_parent.info.run_id].info.status == "KILLED"
    assert "relaunch" in runs[old_parent.info.run_id].data.tags["xner.abandoned"]
    parents, children = split_runs(list(runs.values()))
    (new_parent,) = [p for p in parents if p.info.run_id != old_parent.info.run_id]
    assert new_parent.info.status == "FINISHED"
    assert not [k for k in new_parent.data.tags if k.startswith("xner.reused")]
    redone = [c for c in children if c.info.run_id != cut.info.run_id]
    assert len(redone) == 2
    for run in redone:
        assert run.info.status == "FINISHED" and run.data.tags["xner.complete"] == "true"
        assert "test/f1" in run.data.metrics
    assert not [r for r in runs.values() if r.info.status == "RUNNING"]


# fast checks of the pieces


def test_the_interrupt_behind_lightnings_system_exit_is_found():
    def lightning_style(raised: BaseException) -> SystemExit:
        try:
            try:
                raise raised
            except KeyboardInterrupt:
                sys.exit(1)  # pytorch_lightning's _call_and_handle_interrupt
        except SystemExit as exit_:
            return exit_

    assert signal_of(lightning_style(KeyboardInterrupt())) == signal.SIGINT
    assert signal_of(lightning_style(Interrupted(signal.SIGTERM))) == signal.SIGTERM
    assert signal_of(SystemExit(1)) is None
    assert signal_of(ValueError("x")) is None
    back = pickle.loads(pickle.dumps(Interrupted(signal.SIGTERM, "abc")))
    assert (back.signum, back.run_id) == (signal.SIGTERM, "abc")


def _run(client, experiment, status="FINISHED", metrics=None, **tags):
    run = client.create_run(experiment, tags={"xner.config_hash": "h1", **tags})
    for key, value in (metrics or {}).items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id, status)
    return run.info.run_id


def test_a_finished_run_without_its_test_metrics_is_not_a_done_job(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = store_uri(tmp_path)
    experiment = ensure_experiment(uri, "xner")
    client = MlflowClient(uri)
    cut = _run(client, experiment, metrics={"val/f1": 0.5}, **{"xner.app": "train"})
    assert find_finished_run(uri, "xner", "h1") is None
    assert client.get_run(cut).info.status == "KILLED"
    assert client.get_run(cut).data.tags["xner.abandoned"] == INCOMPLETE
    old = _run(client, experiment, metrics={"test/f1": 0.5}, **{"xner.app": "train"})
    assert find_finished_run(uri, "xner", "h1") == old  # from before the tag: its test/f1
    projected = _run(client, experiment, **{"xner.app": "project", "xner.config_hash": "h2"})
    assert find_finished_run(uri, "xner", "h2") == projected
    tagged = _run(client, experiment, **{"xner.app": "train", "xner.config_hash": "h3"})
    client.set_tag(tagged, "xner.complete", "true")
    assert find_finished_run(uri, "xner", "h3") == tagged
    assert client.get_run(old).info.status == "FINISHED"


def test_lightnings_logger_leaves_the_run_open(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from xner.models.trainer import MetricsLogger

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = store_uri(tmp_path)
    experiment = ensure_experiment(uri, "xner")
    run_id = MlflowClient(uri).create_run(experiment).info.run_id
    logger = MetricsLogger(experiment_name="xner", tracking_uri=uri, run_id=run_id)
    logger.log_metrics({"val/f1": 0.25}, step=1)
    for status in ("success", "failed"):
        logger.finalize(status)
    run = MlflowClient(uri).get_run(run_id)
    assert run.info.status == "RUNNING" and run.data.metrics["val/f1"] == 0.25


def test_a_relaunch_ends_only_the_abandoned_parents_of_the_same_sweep(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = store_uri(tmp_path)
    experiment = ensure_experiment(uri, "xner")
    client = MlflowClient(uri)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead, host = str(ended.pid), socket.gethostname()
    key = sweep_key("train", ["seed=1,2"])
    assert key == sweep_key("train", ["seed=1,2"]) != sweep_key("train", ["seed=1,3"])
    cases = {
        "killed": (key, host, dead),
        "alive": (key, host, str(os.getpid())),
        "elsewhere": (key, "another-host", dead),
        "other sweep": (sweep_key("project", ["seed=1,2"]), host, dead),
        "no pid (older xner)": (key, host, ""),
    }
    ids = {}
    for name, (sweep, on_host, pid) in cases.items():
        tags = {"xner.role": "parent", "xner.sweep": sweep, "xner.host": on_host}
        tags.update({"xner.pid": pid} if pid else {})
        ids[name] = client.create_run(experiment, tags=tags).info.run_id
    assert end_abandoned_parents(uri, "xner", key) == [ids["killed"]]
    statuses = {name: client.get_run(run_id).info.status for name, run_id in ids.items()}
    assert statuses == {**{name: "RUNNING" for name in cases}, "killed": "KILLED"}
