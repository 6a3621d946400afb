"""The multi-machine store for real: PostgreSQL behind an ``mlflow server`` with basic auth.

One PostgreSQL and one server per module (``shared_store``, tests/tracking_server.py); each
test logs to its own experiment. Jobs run the real ``project.py`` on the small synthetic
corpus, with the environment a cluster node has: the server's URL and the jobs' account.
"""

import json
import re
import signal
import subprocess
from pathlib import Path

import psutil
import pytest
from mlflow.tracking import MlflowClient

from helpers import error_line
from sweep_support import (
    FAST_FAIL,
    all_runs,
    assert_one_parent_with_children,
    assert_projector_seed_grid,
    project_command,
    run_cli,
    split_runs,
    stop_group,
    wait_for,
)
from tracking_server import JOB_USER, SharedStore, secrets_in
from xner.data.conll import read_conll

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _sweep(tmp: Path, experiment: str, *overrides: str) -> list[str]:
    return project_command(
        tmp,
        *overrides,
        f"tracking.experiment={experiment}",
        f"hydra.sweep.dir={tmp}/sweep",
        multirun=True,
    )


def _evaluate(capsys, *args: str) -> tuple[int, str]:
    """``python evaluate.py ...`` in this process, which is logged in as the jobs' account."""
    import evaluate

    capsys.readouterr()
    status = evaluate.main(list(args))
    return status, capsys.readouterr().out


def _assert_no_secret(store: SharedStore, experiment: str, tmp: Path, local: Path) -> None:
    """No password in any run's params, tags or artifacts, nor in the jobs' local files."""
    client = MlflowClient(store.url)
    checked = set()
    for run in all_runs(store.url, experiment):
        run_id = run.info.run_id
        texts = [json.dumps(run.data.params), json.dumps(run.data.tags)]
        folder = tmp / "downloaded" / run_id
        folder.mkdir(parents=True)
        client.download_artifacts(run_id, "", str(folder))
        for path in folder.rglob("*"):
            if path.is_file():
                texts.append(path.read_text(errors="replace"))
                checked.add(path.relative_to(folder).as_posix())
        assert not secrets_in("\n".join(texts), store), f"a password in run {run_id}"
    assert {"config/config.yaml", "config/overrides.yaml", "config/environment.json"} <= checked
    for path in local.rglob("*"):
        if path.is_file() and path.stat().st_size < 10_000_000:
            assert not secrets_in(path.read_text(errors="replace"), store), path


def test_server_and_database_listen_on_loopback_and_a_socket_only(shared_store):
    server = psutil.Process(shared_store.server.process.pid)
    listening = [
        c.laddr
        for p in [server, *server.children(recursive=True)]
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening and {a.ip for a in listening} == {"127.0.0.1"}
    assert shared_store.server.port in {a.port for a in listening}
    postgres = psutil.Process(shared_store.postgres.pid)
    assert not [c for c in postgres.net_connections(kind="inet") if c.status == "LISTEN"]
    assert (shared_store.postgres.socket_dir / ".s.PGSQL.5432").is_socket()
    assert shared_store.postgres.query("SHOW listen_addresses") == [("",)]
    # basic auth is on: no credentials, no answer
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{shared_store.url}/api/2.0/mlflow/experiments/search", timeout=10)
    assert refused.value.code == 401


def test_joblib_sweep_of_four_jobs_lands_in_postgres(repo_root, tmp_path, shared_store, capsys):
    experiment = "joblib-pg"
    command = _sweep(
        tmp_path,
        experiment,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=4",
        "projector=heuristic,ilp",
        "seed=1,2",
    )
    done = run_cli(command, repo_root, shared_store.server.job_env())
    assert done.returncode == 0, done.stderr[-3000:]
    children = assert_one_parent_with_children(shared_store.url, 4, experiment)
    assert_projector_seed_grid(children)
    assert all(
        {"test/precision", "test/recall", "test/f1"} <= c.data.metrics.keys() for c in children
    )
    # the rows are in PostgreSQL; the artifacts went through the server to its destination
    rows = shared_store.postgres.query(
        "SELECT r.status, count(*) FROM runs r JOIN experiments e USING (experiment_id)"
        " WHERE e.name = %s GROUP BY r.status",
        experiment,
    )
    assert rows == [("FINISHED", 5)]
    client = MlflowClient(shared_store.url)
    for child in children:
        names = {a.path for a in client.list_artifacts(child.info.run_id, "config")}
        assert names == {"config/config.yaml", "config/overrides.yaml", "config/environment.json"}
        assert client.list_artifacts(child.info.run_id, "projected")
        stored = shared_store.server.artifacts.glob(f"*/{child.info.run_id}/artifacts/config/*")
        assert len(list(stored)) == 3
    assert not (tmp_path / "mlflow.db").exists() and not (repo_root / "mlflow.db").exists()
    # the gap table: printed by the sweep, saved on its parent, read back from the server
    assert "| syn |" in done.stdout
    parent = (tmp_path / "sweep" / "mlflow_parent_run_id").read_text().strip()
    status, report = _evaluate(
        capsys,
        "report",
        "--tracking-uri",
        shared_store.url,
        "--experiment",
        experiment,
        "--parent",
        parent,
    )
    assert status == 0 and "| syn |" in report and "translate_test[ilp]" in report, report
    _assert_no_secret(shared_store, experiment, tmp_path, tmp_path / "sweep")


def test_submitit_local_sweep_lands_in_postgres(repo_root, tmp_path, shared_store):
    experiment = "submitit-pg"
    command = _sweep(tmp_path, experiment, "hydra/launcher=local", "projector=heuristic,ilp")
    done = run_cli(command, repo_root, shared_store.server.job_env())
    assert done.returncode == 0, done.stderr[-3000:]
    children = assert_one_parent_with_children(shared_store.url, 2, experiment)
    assert {c.data.tags["projector"] for c in children} == {"heuristic", "ilp"}
    assert (tmp_path / "sweep" / ".submitit").is_dir()
    assert "| syn |" in done.stdout


def _one_finished_one_running(store: SharedStore, experiment: str) -> tuple[str, str] | None:
    """(finished run, running run) once job 0 has finished and job 1 is past its start-up.

    Reads PostgreSQL directly; "past its start-up": its config artifacts are stored, so what
    it has left is its work, then the logging of its results.
    """
    rows = store.postgres.query(
        "SELECT r.run_uuid, r.status FROM runs r JOIN experiments e USING (experiment_id)"
        " JOIN tags t ON t.run_uuid = r.run_uuid AND t.key = 'mlflow.parentRunId'"
        " WHERE e.name = %s ORDER BY r.start_time",
        experiment,
    )
    statuses = sorted(status for _, status in rows)
    assert statuses.count("FINISHED") < 2, "job 1 finished before the server could be killed"
    if statuses != ["FINISHED", "RUNNING"]:
        return None
    finished = next(run for run, status in rows if status == "FINISHED")
    running = next(run for run, status in rows if status == "RUNNING")
    environment = f"*/{running}/artifacts/config/environment.json"
    if not list(store.server.artifacts.glob(environment)):
        return None
    return finished, running


def _aligning(logs: Path) -> bool:
    """Job 1 has read its data (and logged its dataset inputs) and started aligning: what it
    has left is alignment, projection, writing out=, then the logging of its results."""
    text = "".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    return text.count("cache miss: align") >= 2  # job 0's and job 1's


def test_server_killed_mid_sweep_fails_the_running_job_and_the_relaunch_finishes(
    repo_root, tmp_path, shared_store
):
    experiment = "killed-server"
    sweep = tmp_path / "sweep"
    # one job after the other (the basic launcher); job 1 projects 5 times the sentences of
    # job 0 and aligns them 3 times over, so it is killed in the middle of its work
    command = _sweep(
        tmp_path,
        experiment,
        "data.n_test=20,100",
        "aligner.runs=3",
        "projector=ilp",
        "out=${hydra:runtime.output_dir}/projected.conll",
    )
    with open(tmp_path / "out.log", "w") as out, open(tmp_path / "err.log", "w") as err:
        process = subprocess.Popen(
            command,
            cwd=repo_root,
            env=shared_store.server.job_env(**FAST_FAIL),
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        finished, running = wait_for(
            lambda: _one_finished_one_running(shared_store, experiment),
            "job 1 to run",
            600,
            process,
        )
        wait_for(lambda: _aligning(tmp_path), "job 1 to align", 600, process)
        shared_store.server.kill()
        process.wait(timeout=300)
    finally:
        stop_group(process, signal.SIGKILL)
        shared_store.server.ensure_running()
    stderr = (tmp_path / "err.log").read_text()
    assert process.returncode == 2, stderr[-3000:]
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    # the step is job 1's first request after the kill (usually its metrics); the cause a
    # refused connection, or a reset one if a request was under way
    step, cause = ".+", "(refused|reset)"
    promised = (
        r"error: (job \d+: )?"  # a sweep names the job
        + re.escape(f"MLflow store {shared_store.url} failed while ")
        + step
        + re.escape(f" (run {running}): connection ")
        + cause
        + re.escape(
            " (MlflowException); files the job already wrote (out=, cache) are kept; rerun the "
            "sweep once the store is back (retries: MLFLOW_HTTP_REQUEST_MAX_RETRIES, "
            "MLFLOW_HTTP_REQUEST_TIMEOUT)"
        )
    )
    assert len(errors) == 1 and re.fullmatch(promised, errors[0]), stderr[-3000:]
    # nothing written locally is lost: both jobs' outputs are whole
    first_out, second_out = sweep / "0" / "projected.conll", sweep / "1" / "projected.conll"
    assert len(read_conll(first_out)) == 20 and len(read_conll(second_out)) == 100
    first_written = first_out.stat().st_mtime_ns
    before = {r.info.run_id: r.info.status for r in all_runs(shared_store.url, experiment)}
    assert sorted(before.values()) == ["FINISHED", "RUNNING", "RUNNING"]  # + the parent

    done = run_cli(command, repo_root, shared_store.server.job_env(**FAST_FAIL))
    assert done.returncode == 0, done.stderr[-3000:]
    runs = {r.info.run_id: r for r in all_runs(shared_store.url, experiment)}
    parents, children = split_runs(list(runs.values()))
    assert len(runs) == 5  # 2 parents, job 0, job 1 cut off, job 1 redone
    old_parent = next(p for p in parents if p.info.run_id in before)
    new_parent = next(p for p in parents if p.info.run_id not in before)
    assert old_parent.info.status == "KILLED" and new_parent.info.status == "FINISHED"
    assert new_parent.data.tags["xner.reused.0"] == finished
    assert first_out.stat().st_mtime_ns == first_written  # job 0 was not redone
    assert runs[running].info.status == "KILLED" and "xner.abandoned" in runs[running].data.tags
    finished_jobs = [
        c.data.tags["xner.config_hash"] for c in children if c.info.status == "FINISHED"
    ]
    assert len(finished_jobs) == len(set(finished_jobs)) == 2
    assert len(read_conll(second_out)) == 100


def test_report_diff_and_rerun_work_as_on_sqlite_across_a_database_restart(
    repo_root, tmp_path, shared_store, capsys, monkeypatch
):
    experiment = "rerun-pg"
    job = project_command(tmp_path, "projector=ilp", f"tracking.experiment={experiment}")
    done = run_cli(job, repo_root, shared_store.server.job_env())
    assert done.returncode == 0, done.stderr[-3000:]
    [original] = all_runs(shared_store.url, experiment)

    shared_store.postgres.restart()  # between two jobs: the next one must log normally
    for name, value in FAST_FAIL.items():  # a lost connection must show, not be retried away
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", shared_store.url)
    # the job's cache and outputs lie outside the server's store: the rerun is told they may
    status, rerun = _evaluate(capsys, "rerun", original.info.run_id, "--allow-paths")
    assert status == 0 and rerun.rstrip().endswith("metrics match"), rerun
    runs = all_runs(shared_store.url, experiment)
    assert sorted(r.info.status for r in runs) == ["FINISHED", "FINISHED"]
    [again] = [r for r in runs if r.info.run_id != original.info.run_id]
    assert again.data.tags["xner.rerun_of"] == original.info.run_id
    results = [  # cache/*, cost/*, system/*: the cache's hits and what the job cost, not results
        {
            k: v
            for k, v in run.data.metrics.items()
            if not k.startswith(("cache/", "cost/", "system/"))
        }
        for run in (again, original)
    ]
    assert results[0] == results[1]

    ids = (original.info.run_id, again.info.run_id)
    status, diff = _evaluate(capsys, "diff", *ids)
    assert status == 1  # the runs differ, in tracking settings and the rerun's fresh cache only
    config = diff.split("\nconfig: ", 1)[1].split("\n\n", 1)[0]
    changed = {line.split()[0] for line in config.splitlines() if line.startswith("  ")}
    assert changed == {
        "key",  # the table's header
        "tracking.uri",  # from $MLFLOW_TRACKING_URI, then given on the rerun's command line
        "tracking.skip_finished",
        "tracking.run_name",  # '<name> (rerun)'
        "tracking.tags.xner.rerun_of",
        "cache.dir",  # the rerun's fresh, empty stage cache
    }, diff
    status, same = _evaluate(capsys, "diff", *ids, "--ignore", "tracking", "--ignore", "cache.dir")
    assert status == 0 and "identical: resolved config" in same, same
    # the same job (same stage cache) on a SQLite store gives the same gap table
    sqlite = f"sqlite:///{tmp_path}/sqlite/mlflow.db"
    local = run_cli(project_command(tmp_path, "projector=ilp", uri=sqlite), repo_root)
    assert local.returncode == 0, local.stderr[-3000:]
    on_sqlite = _evaluate(capsys, "report", "--tracking-uri", sqlite, "--all")
    on_server = _evaluate(capsys, "report", "--experiment", experiment, "--all")
    assert on_server == on_sqlite and on_server[0] == 0 and "| syn |" in on_server[1]
    _assert_no_secret(shared_store, experiment, tmp_path, tmp_path / "outputs")


def test_wrong_password_is_refused_in_one_line_and_creates_no_run(
    repo_root, tmp_path, shared_store
):
    job = project_command(tmp_path, "projector=ilp", "tracking.experiment=refused")
    done = run_cli(job, repo_root, shared_store.server.job_env(password="not-the-password"))
    line = error_line(done)
    assert line.startswith(
        f"error: the MLflow store {shared_store.url} refused the login (HTTP 401): check "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
    ), line
    assert "not-the-password" not in done.stderr + done.stdout
    assert MlflowClient(shared_store.url).get_experiment_by_name("refused") is None
    assert not (tmp_path / "cache").exists()


def test_a_password_inside_the_store_uri_is_refused_before_anything_is_logged(
    repo_root, tmp_path, shared_store
):
    port = shared_store.server.port
    secret = shared_store.secret.job
    job = project_command(
        tmp_path,
        "tracking.experiment=uri-password",
        f"tracking.uri=http://{JOB_USER}:{secret}@127.0.0.1:{port}",
    )
    done = run_cli(job, repo_root, shared_store.server.job_env())
    line = error_line(done)
    assert line.startswith(f"error: the MLflow store URI http://{JOB_USER}:***@127.0.0.1... holds")
    assert secret not in done.stderr + done.stdout
    assert MlflowClient(shared_store.url).get_experiment_by_name("uri-password") is None
