"""Sweeps on real launchers (joblib, submitit) on a SQLite store: every job lands once.

The same sweeps against PostgreSQL behind an ``mlflow server``: tests/tracking/test_shared_store.py.

The launchers run the real ``project.py`` (projection on the small synthetic corpus, no
training), so each test is the code path of a real sweep.
"""

import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from helpers import composed
from sweep_support import (
    assert_one_parent_with_children,
    assert_projector_seed_grid,
    assert_sqlite_healthy,
    project_command,
    run_cli,
)


def _job_dirs(sweep: Path) -> list[str]:
    return sorted(p.name for p in sweep.iterdir() if (p / ".hydra" / "config.yaml").is_file())


@pytest.mark.slow
def test_joblib_sweep_of_four_parallel_jobs_on_a_new_store(repo_root, tmp_path):
    db = tmp_path / "new" / "store" / "mlflow.db"  # neither the file nor its folder exists yet
    command = project_command(
        tmp_path,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=4",
        "projector=heuristic,ilp",
        "seed=1,2",
        f"hydra.sweep.dir={tmp_path}/sweep",
        uri=f"sqlite:///{db}",
        multirun=True,
    )
    done = run_cli(command, repo_root)
    assert done.returncode == 0, done.stderr[-3000:]
    children = assert_one_parent_with_children(f"sqlite:///{db}", 4)
    assert_projector_seed_grid(children)
    assert_sqlite_healthy(db)
    assert _job_dirs(tmp_path / "sweep") == ["0", "1", "2", "3"]
    assert "| syn |" in done.stdout  # the sweep's gap table


@pytest.mark.slow
def test_submitit_local_sweep_lands_in_one_parent(repo_root, tmp_path):
    db = tmp_path / "mlflow.db"
    command = project_command(
        tmp_path,
        "hydra/launcher=local",
        "projector=heuristic,ilp",
        f"hydra.sweep.dir={tmp_path}/sweep",
        uri=f"sqlite:///{db}",
        multirun=True,
    )
    done = run_cli(command, repo_root)
    assert done.returncode == 0, done.stderr[-3000:]
    children = assert_one_parent_with_children(f"sqlite:///{db}", 2)
    assert {c.data.tags["projector"] for c in children} == {"heuristic", "ilp"}
    assert_sqlite_healthy(db)
    assert _job_dirs(tmp_path / "sweep") == ["0", "1"]
    assert (tmp_path / "sweep" / ".submitit").is_dir()


def _launcher(overrides: list[str]) -> dict:
    cfg = composed("project", *overrides, hydra=True)
    return OmegaConf.to_container(cfg.hydra.launcher, resolve=False)


def test_slurm_launcher_config_makes_a_valid_sbatch_script(repo_root, tmp_path, monkeypatch):
    """conf/hydra/launcher/slurm.yaml is accepted by submitit and reaches the batch script."""
    import submitit
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
    from submitit.slurm.slurm import SlurmExecutor

    monkeypatch.chdir(repo_root)
    params = _launcher(["hydra/launcher=slurm", "hydra.launcher.partition=gpu"])
    assert params["_target_"].endswith("SlurmLauncher")
    monkeypatch.setattr(SlurmExecutor, "affinity", classmethod(lambda cls: 1))  # no srun here
    # the same mapping hydra-submitit-launcher applies before submitting
    executor = submitit.AutoExecutor(
        cluster="slurm", folder=tmp_path, slurm_max_num_timeout=params.pop("max_num_timeout")
    )
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    params = {k: v for k, v in params.items() if k not in ("_target_", "submitit_folder")}
    params["name"] = "project"
    executor.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()})
    script = executor._executor._make_submission_file_text("python project.py", "uid")
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --time=720",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=64GB",
    ):
        assert line in script, line


def test_local_launchers_are_registered(repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    assert _launcher(["hydra/launcher=local"])["_target_"].endswith("LocalLauncher")
    joblib = _launcher(["hydra/launcher=joblib", "hydra.launcher.n_jobs=4"])
    assert joblib["n_jobs"] == 4 and joblib["_target_"].endswith("JoblibLauncher")
    assert os.path.basename(_launcher([])["_target_"]).endswith("BasicLauncher")
