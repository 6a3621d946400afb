"""Sweeps on a real (one-node) SLURM cluster through ``hydra/launcher=slurm`` (issue 22)."""

import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sweep_support import TINY, all_runs, run_cli
from xner.cluster.slurm_job import past_time_limit, slurm_seconds
from xner.cluster.slurm_local import LocalSlurm, slurm_conf

pytestmark = pytest.mark.slurm
ON_CLUSTER = (
    "hydra/launcher=slurm",
    "hydra.launcher.gpus_per_node=0",
    "hydra.launcher.cpus_per_task=1",
    "hydra.launcher.mem_gb=2",
)
SWEEP = ("method=model_transfer,teacher_student", "seed=1,2")


def sweep_command(tmp: Path, name: str, *overrides: str) -> list[str]:
    return [
        sys.executable,
        "train.py",
        "-m",
        *TINY,
        *SWEEP,
        f"tracking.experiment={name}",
        f"cache.dir={tmp}/{name}/cache",
        f"paths.outputs={tmp}/{name}/outputs",
        f"hydra.sweep.dir={tmp}/{name}/sweep",
        *overrides,
    ]


def gap_table(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("|")]


def test_slurm_conf_names_the_machine_and_keeps_every_path_in_its_folder(tmp_path):
    text = slurm_conf(tmp_path, "node1", 2, 4000, (7001, 7002))
    assert "NodeName=node1 NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN" in text
    assert "SlurmctldHost=node1(127.0.0.1)" in text and "SlurmctldPort=7001" in text
    paths = re.findall(r"=(/\S+)", text)
    assert paths and all(Path(p).is_relative_to(tmp_path) for p in paths)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0:05", 5), ("1:00", 60), ("1:02:03", 3723), ("2-00:00:01", 172801), ("UNLIMITED", None)],
)
def test_slurm_times_read_as_seconds(text, seconds):
    assert slurm_seconds(text) == seconds
    assert slurm_seconds("INVALID") is None and slurm_seconds("1-x:00") is None


def test_a_job_ending_at_its_limit_is_told_from_a_cancelled_one():
    # squeue shows COMPLETING while a timed-out job ends (seen in CI): the clock decides
    assert past_time_limit("COMPLETING", "1:12", "1:00")
    assert past_time_limit("TIMEOUT", "0:59", "1:00")
    assert not past_time_limit("COMPLETING", "0:40", "1:00")
    assert not past_time_limit("CANCELLED", "5:00", "UNLIMITED")


def test_the_cluster_stops_exactly_the_processes_it_started(tmp_path):
    cluster = LocalSlurm(tmp_path / "c").start()
    pids = {name: p.pid for name, p in cluster.processes.items()}
    assert sorted(pids) == ["munged", "slurmctld", "slurmd"]
    assert cluster.run("srun", "hostname").strip()
    bystander = subprocess.Popen(["sleep", "60"])
    cluster.stop()
    assert bystander.poll() is None
    bystander.kill()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.postgres
def test_a_sweep_is_one_array_logs_to_the_shared_server_and_matches_the_local_launcher(
    repo_root, tmp_path, slurm_cluster, shared_store
):
    secret = shared_store.secret.job
    env = shared_store.server.job_env(**slurm_cluster.env)
    # the same sweep on the local launcher, beside it (own store experiment and stage cache)
    with ThreadPoolExecutor(1) as pool:
        local_done = pool.submit(run_cli, sweep_command(tmp_path, "local"), repo_root, env)
        started = time.monotonic()
        on_slurm = run_cli(sweep_command(tmp_path, "slurm", *ON_CLUSTER), repo_root, env)
        slurm_s = time.monotonic() - started
        local = local_done.result()
    assert on_slurm.returncode == 0, on_slurm.stderr[-3000:]
    submitit = tmp_path / "slurm" / "sweep" / ".submitit"
    (script,) = submitit.glob("*/*_submission.sh")
    assert re.search(r"^#SBATCH --array=0-3%\d+$", script.read_text(), re.M)
    array_id = script.parent.name
    shown = slurm_cluster.run("scontrol", "show", "job", "-d", array_id)
    assert shown.count("JobState=COMPLETED") == 4, shown

    runs = all_runs(shared_store.url, "slurm")
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert sorted(r.info.status for r in runs) == ["FINISHED"] * 5
    assert {r.data.tags["xner.slurm_job"].split("_")[0] for r in children} == {array_id}
    # the 4 tasks ran at once: each seed's source model was trained by one of its two jobs
    misses = sum(r.data.metrics.get("cache/source_model.misses", 0) for r in children)
    hits = sum(r.data.metrics.get("cache/source_model.hits", 0) for r in children)
    print(f"source_model: {misses:.0f} cache misses, {hits:.0f} hits over 4 concurrent tasks")
    assert (misses, hits) == (2, 2)

    assert local.returncode == 0, local.stderr[-3000:]
    assert gap_table(on_slurm.stdout) == gap_table(local.stdout) != []
    print(f"sweep of 4 tiny jobs on SLURM: {slurm_s:.0f} s (the local launcher's beside it)")

    assert secret not in " ".join(sweep_command(tmp_path, "slurm", *ON_CLUSTER))
    assert secret not in shown
    for path in (tmp_path / "slurm").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def wait_for(what, check, timeout=600.0, every=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"no {what} after {timeout:.0f} s")


def runs_by_task(uri: str, experiment: str) -> dict[str, list]:
    """Job runs by SLURM array task number."""
    found: dict[str, list] = {}
    try:
        runs = all_runs(uri, experiment)
    except AssertionError:  # no experiment yet
        return found
    for run in runs:
        if "xner.slurm_job" in run.data.tags:
            found.setdefault(run.data.tags["xner.slurm_job"].rpartition("_")[2], []).append(run)
    return found


@pytest.mark.postgres
def test_cancel_time_limit_and_relaunch(repo_root, tmp_path, slurm_cluster, shared_store):
    """scancel of a training task and a task past its time limit end KILLED with the reason;
    the relaunch runs only the cancelled job."""
    env = shared_store.server.job_env(**slurm_cluster.env)
    long = ("method=model_transfer", "trainer.patience=1000")
    faults = [*sweep_command(tmp_path, "faults", *ON_CLUSTER, *long), "trainer.max_epochs=1,8"]
    faults.remove("seed=1,2")
    limited = sweep_command(tmp_path, "limit", *ON_CLUSTER, *long, "trainer.max_epochs=60")
    limited += ["hydra.launcher.timeout_min=1", "hydra.launcher.signal_delay_s=10"]
    limited.remove("seed=1,2")
    first = subprocess.Popen(faults, cwd=repo_root, env=env, stdout=subprocess.PIPE, text=True)
    timed = subprocess.Popen(limited, cwd=repo_root, env=env, stdout=subprocess.PIPE, text=True)

    def training():
        runs = runs_by_task(shared_store.url, "faults").get("1", [])
        return runs and any("val/f1" in k for k in runs[0].data.metrics) and runs[0]

    cut = wait_for("validation metric of task 1", training)
    slurm_cluster.run("scancel", cut.data.tags["xner.slurm_job"])
    out, _ = first.communicate(timeout=600)
    timed_out, _ = timed.communicate(timeout=600)

    runs = runs_by_task(shared_store.url, "faults")
    [killed] = runs["1"]
    assert killed.info.status == "KILLED"
    assert killed.data.tags["xner.error"].startswith(
        f"interrupted (SIGTERM): SLURM ended job {cut.data.tags['xner.slurm_job']}"
    )
    assert [r.info.status for r in runs["0"]] == ["FINISHED"]
    parent = next(
        r
        for r in all_runs(shared_store.url, "faults")
        if r.info.run_id not in {killed.info.run_id, runs["0"][0].info.run_id}
    )
    assert parent.data.tags["xner.failed_jobs"] == killed.info.run_name
    assert "1 of 2 jobs failed" in out

    [[limit_run]] = runs_by_task(shared_store.url, "limit").values()  # one job: no array
    assert limit_run.info.status == "KILLED", timed_out[-2000:]
    assert (
        "time limit" in limit_run.data.tags["xner.error"]
        or "TIMEOUT" in (limit_run.data.tags["xner.error"])
    )

    again = run_cli(faults, repo_root, env)
    assert again.returncode == 0, again.stderr[-3000:]
    runs = runs_by_task(shared_store.url, "faults")
    statuses = {task: Counter(r.info.status for r in rs) for task, rs in runs.items()}
    assert statuses == {"0": Counter(FINISHED=1), "1": Counter(KILLED=1, FINISHED=1)}
    parents = [
        r for r in all_runs(shared_store.url, "faults") if "xner.slurm_job" not in r.data.tags
    ]
    newest = max(parents, key=lambda r: r.info.start_time)
    assert newest.data.tags["xner.reused.0"] == runs["0"][0].info.run_id
