"""Faults: a sweep killed with SIGKILL and restarted, two writers of one stage, a server that dies.

Each test drives the real ``project.py`` (or the real cache) and asserts what is left on
disk and in the MLflow store afterwards.
"""

import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sweep_support import (
    FAST_FAIL,
    all_runs,
    assert_sqlite_healthy,
    clean_env,
    free_port,
    mlflow_server,
    project_command,
    run_cli,
    split_runs,
    stop_group,
    wait_for,
)
from xner.data.conll import read_conll
from xner.errors import ConfigError
from xner.pipeline.cache import VALUE_FILE, StageCache
from xner.tracking.connection import ensure_experiment


def _second_job_running(db: Path, sweep: Path) -> tuple[str, str] | None:
    """(job 0 run id, job 1 run id) once job 0 has finished and job 1 has opened its run.

    Reads the store's tables directly (read-only): quick enough to catch job 1 mid-way.
    """
    if not (sweep / "mlflow_parent_run_id").is_file():
        return None  # the store may not exist yet: never open it before the sweep created it
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            rows = con.execute(
                "SELECT r.run_uuid, r.status FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid"
                " WHERE t.key = 'mlflow.parentRunId' ORDER BY r.start_time"
            ).fetchall()
    except sqlite3.OperationalError:  # locked by a writer: look again
        return None
    statuses = [status for _, status in rows]
    assert statuses.count("FINISHED") < 2, "job 1 finished before it could be killed"
    if statuses == ["FINISHED", "RUNNING"]:
        return rows[0][0], rows[1][0]
    return None


def _complete_entries(cache_dir: Path) -> list[Path]:
    return [p for p in cache_dir.glob("*/*") if not p.name.startswith(".")]


@pytest.mark.slow
def test_sweep_killed_mid_job_restarts_without_redoing_or_duplicating(repo_root, tmp_path):
    db = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db}"
    sweep = tmp_path / "sweep"
    # job 1 works on more data, so it is still running when job 0 has finished
    command = project_command(
        tmp_path,
        "data.n_test=20,100",
        "projector=ilp",
        f"hydra.sweep.dir={sweep}",
        "out=${hydra:runtime.output_dir}/projected.conll",
        uri=uri,
        multirun=True,
    )
    with open(tmp_path / "killed-sweep.log", "w") as log:
        sweep_process = subprocess.Popen(
            command,
            cwd=repo_root,
            env=clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        first, killed = wait_for(
            lambda: _second_job_running(db, sweep), "job 1 to run", 600, sweep_process
        )
    finally:
        stop_group(sweep_process, signal.SIGKILL)
    assert sweep_process.returncode == -signal.SIGKILL
    first_out = sweep / "0" / "projected.conll"
    assert first_out.is_file() and not (sweep / "1" / "projected.conll").exists()
    first_written = first_out.stat().st_mtime_ns
    old_parent = (sweep / "mlflow_parent_run_id").read_text().strip()

    done = run_cli(command, repo_root)
    assert done.returncode == 0, done.stderr[-3000:]

    runs = {r.info.run_id: r for r in all_runs(uri)}
    parents, children = split_runs(list(runs.values()))
    new_parent = next(p for p in parents if p.info.run_id != old_parent)
    # the finished job was not redone: its run is reused by the new sweep, its output untouched
    assert runs[first].info.status == "FINISHED"
    assert new_parent.data.tags["xner.reused.0"] == first
    assert first_out.stat().st_mtime_ns == first_written
    # the killed job: its run marked KILLED by the rerun, which ran it again to the end
    assert runs[killed].info.status == "KILLED"
    assert "xner.abandoned" in runs[killed].data.tags
    redone = [c for c in children if c.data.tags["mlflow.parentRunId"] == new_parent.info.run_id]
    assert [c.info.status for c in redone] == ["FINISHED"]
    killed_hash = runs[killed].data.tags["xner.config_hash"]
    assert redone[0].data.tags["xner.config_hash"] == killed_hash
    assert len(read_conll(sweep / "1" / "projected.conll")) == 100
    # no job config has two finished runs; both sweeps' parents are ended
    finished = [c.data.tags["xner.config_hash"] for c in children if c.info.status == "FINISHED"]
    assert sorted(finished) == sorted({*finished}) and len(finished) == 2
    assert runs[old_parent].info.status == "KILLED" and new_parent.info.status == "FINISHED"
    assert len(runs) == 5  # 2 parents, job 0, killed job 1, redone job 1
    assert_sqlite_healthy(db)
    # cache: every complete entry is whole; leftovers of the killed writer are only .tmp-*
    entries = _complete_entries(tmp_path / "cache")
    assert entries, "nothing cached"
    for entry in entries:
        json.loads((entry / VALUE_FILE).read_text(encoding="utf-8"))
    stray = [p for p in (tmp_path / "cache").glob("*/.*") if not p.name.startswith(".tmp-")]
    assert not stray
    assert not list(sweep.rglob(".projected.conll.*.tmp"))


def _compute_same_stage(folder: str, barrier, n: int) -> None:
    """Both processes miss the cache, compute at the same moment, then both store."""
    cache = StageCache(folder)

    def compute():
        barrier.wait(timeout=60)
        return {"links": [[i, i + 1] for i in range(5000)], "probs": np.full((300, 9), 0.5)}

    value, _ = cache.get_or_compute(
        "align", {"aligner": "x"}, ["data"], compute, decode=lambda v: v
    )
    assert cache.stats["misses"] == 1, "both writers must really compute"
    assert len(value["links"]) == 5000 and float(value["probs"].sum()) == 300 * 9 * 0.5
    Path(folder, f"done-{n}").write_text("ok")


def test_two_jobs_computing_the_same_stage_at_once_leave_one_whole_entry(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_compute_same_stage, args=(str(tmp_path), barrier, n))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert (tmp_path / "done-0").is_file() and (tmp_path / "done-1").is_file()
    entries = list((tmp_path / "align").iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")
    cache = StageCache(tmp_path)
    value, _ = cache.get_or_compute("align", {"aligner": "x"}, ["data"], lambda: 1 / 0)
    assert cache.stats["hits"] == 1
    assert value["links"][4999] == [4999, 5000] and value["probs"].shape == (300, 9)


# Runs project.py; right after the labelled CoNLL file is written it tells the test to stop the
# MLflow server (marker file) and waits until the server is gone, so logging fails next.
SERVER_DIES_AFTER_OUT = textwrap.dedent(
    """
    import sys, time, urllib.request
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    sys.argv = ["project.py", "--config-path", {repo!r} + "/conf", *{args!r}]
    import project
    import xner.methods.results as results

    write = results.write_conll

    def write_then_lose_server(path, sentences):
        written = write(path, sentences)
        Path({marker!r}).touch()
        for _ in range(1200):
            try:
                urllib.request.urlopen({url!r} + "/health", timeout=1)
            except OSError:
                return written
            time.sleep(0.1)
        raise SystemExit("the server did not stop")

    results.write_conll = write_then_lose_server  # the one place that writes out=
    project.main()
    """
)


@pytest.mark.slow
def test_server_going_away_fails_with_one_line_and_keeps_the_outputs(repo_root, tmp_path):
    out = tmp_path / "projected.conll"
    marker = tmp_path / "out-written"
    with mlflow_server(tmp_path / "server") as (url, server):
        args = project_command(tmp_path, "projector=heuristic", f"out={out}")[2:]
        script = SERVER_DIES_AFTER_OUT.format(
            repo=str(repo_root), args=args, marker=str(marker), url=url
        )
        with open(tmp_path / "job.out", "w") as out_log, open(tmp_path / "job.err", "w") as err:
            job = subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=repo_root,
                env=clean_env(MLFLOW_TRACKING_URI=url, **FAST_FAIL),
                stdout=out_log,
                stderr=err,
            )
        try:
            wait_for(marker.is_file, "the job to write its output", 600, job)
            stop_group(server, signal.SIGKILL)
            job.wait(timeout=300)
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
    stderr = (tmp_path / "job.err").read_text()
    assert job.returncode == 2, stderr[-3000:]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: MLflow store {url} failed while logging metrics (run "), last
    assert "are kept" in last
    assert len(read_conll(out)) == 20  # the job's output survives the lost store
    assert _complete_entries(tmp_path / "cache")  # and so do its cached stages


def test_unreachable_server_is_refused_in_one_line(monkeypatch):
    for name, value in FAST_FAIL.items():
        monkeypatch.setenv(name, value)
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ConfigError, match=r"cannot reach the MLflow store 'http://127\.0\.0\.1"):
        ensure_experiment(url, "xner")


def test_killed_run_detection_ignores_live_processes_and_other_hosts(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from xner.tracking.abandoned import mark_abandoned_runs

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment = ensure_experiment(uri, "xner")
    client = MlflowClient(uri)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = str(ended.pid)  # reaped: no such process any more
    host = socket.gethostname()
    cases = {"dead": (host, dead), "alive": (host, str(os.getpid())), "elsewhere": ("x", dead)}
    ids = {}
    for name, (on_host, pid) in cases.items():
        tags = {"xner.config_hash": "h1", "xner.host": on_host, "xner.pid": pid}
        ids[name] = client.create_run(experiment, tags=tags).info.run_id
    assert mark_abandoned_runs(uri, "xner", "h1") == [ids["dead"]]
    assert client.get_run(ids["dead"]).info.status == "KILLED"
    assert client.get_run(ids["alive"]).info.status == "RUNNING"
    assert client.get_run(ids["elsewhere"]).info.status == "RUNNING"


def test_tracking_failure_is_one_line_naming_store_step_and_cause():
    from mlflow.exceptions import MlflowException

    from xner.tracking.connection import TrackingError, guarded

    with pytest.raises(TrackingError) as caught:
        with guarded("http://127.0.0.1:5000", "logging metrics", "abc"):
            raise MlflowException(
                "API request to http://127.0.0.1:5000/api/2.0/mlflow/runs/log-batch failed with "
                "exception HTTPConnectionPool(host='127.0.0.1', port=5000): Max retries exceeded "
                "(Caused by NewConnectionError(': Failed to establish a new connection: "
                "[Errno 111] Connection refused'))\nmore detail"
            )
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "MLflow store http://127.0.0.1:5000 failed while logging metrics (run abc): "
        "connection refused (MlflowException); files the job already wrote"
    )


def test_a_multirun_job_without_its_parent_run_refuses_to_start(tmp_path):
    """Hydra only warns when the sweep callback fails; the jobs must not run parentless."""
    from types import SimpleNamespace

    from hydra.types import RunMode

    from xner.run.app import _parent_run_id

    hc = SimpleNamespace(mode=RunMode.MULTIRUN, sweep=SimpleNamespace(dir=str(tmp_path)))
    with pytest.raises(ConfigError, match="no MLflow parent run for the sweep"):
        _parent_run_id(hc)
    (tmp_path / "mlflow_parent_run_id").write_text("abc\n")
    assert _parent_run_id(hc) == "abc"
    assert _parent_run_id(SimpleNamespace(mode=RunMode.RUN)) is None


@pytest.mark.slow
def test_sweep_stopped_by_sigterm_ends_its_parent_killed_naming_the_job(repo_root, tmp_path):
    db = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db}"
    sweep = tmp_path / "sweep"
    command = project_command(
        tmp_path, "data.n_test=20,100", "projector=ilp", f"hydra.sweep.dir={sweep}", uri=uri,
        multirun=True,
    )  # fmt: skip
    with open(tmp_path / "stopped-sweep.log", "w") as log:
        process = subprocess.Popen(
            command, cwd=repo_root, env=clean_env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _, running = wait_for(lambda: _second_job_running(db, sweep), "job 1", 600, process)
        os.kill(process.pid, signal.SIGTERM)  # what Slurm or a shell's kill sends
        process.wait(timeout=120)
    finally:
        stop_group(process, signal.SIGKILL)
    runs = {r.info.run_id: r for r in all_runs(uri)}
    (parent,) = [r for r in runs.values() if r.data.tags.get("xner.role") == "parent"]
    assert parent.info.status == "KILLED"
    assert parent.data.tags["xner.failed_jobs"] == runs[running].info.run_name
    assert runs[running].info.status == "KILLED"
    assert not [r for r in runs.values() if r.info.status == "RUNNING"]
