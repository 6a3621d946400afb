"""Sweeps on a real (one-node) SLURM cluster through ``hydra/launcher=slurm`` (issue 22)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweep_support import TINY, all_runs, run_cli
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
    assert "NodeName=node1 CPUs=2 RealMemory=4000 State=UNKNOWN" in text
    assert "SlurmctldHost=node1" in text and "SlurmctldPort=7001" in text
    paths = re.findall(r"=(/\S+)", text)
    assert paths and all(Path(p).is_relative_to(tmp_path) for p in paths)


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
    started = time.monotonic()
    on_slurm = run_cli(sweep_command(tmp_path, "slurm", *ON_CLUSTER), repo_root, env)
    slurm_s = time.monotonic() - started
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

    started = time.monotonic()
    local = run_cli(sweep_command(tmp_path, "local"), repo_root, env)
    local_s = time.monotonic() - started
    assert local.returncode == 0, local.stderr[-3000:]
    assert gap_table(on_slurm.stdout) == gap_table(local.stdout) != []
    print(f"sweep of 4 tiny jobs: SLURM {slurm_s:.0f} s, local launcher {local_s:.0f} s")

    assert secret not in " ".join(sweep_command(tmp_path, "slurm", *ON_CLUSTER))
    assert secret not in shown
    for path in (tmp_path / "slurm").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
