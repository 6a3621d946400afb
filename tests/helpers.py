"""Helpers shared by test modules: the real Hydra CLIs with a private store, temporary stores."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment, offline, without an outside ``MLFLOW_TRACKING_URI``."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


def store_uri(folder: Path) -> str:
    """The SQLite MLflow store that :func:`run_app` gives a run in ``folder``."""
    return f"sqlite:///{folder}/mlflow.db"


def run_app(
    repo_root: Path,
    tmp_path: Path,
    app: str,
    *overrides: str,
    multirun: bool = False,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """``python <app> [-m] ...``: a Hydra entry point with its store, cache and outputs in
    ``tmp_path``; ``overrides`` come last."""
    command = [sys.executable, app, *(["-m"] if multirun else [])]
    command += [
        f"tracking.uri={store_uri(tmp_path)}",
        f"cache.dir={tmp_path}/cache",
        f"paths.outputs={tmp_path}/outputs",
        *overrides,
    ]
    return subprocess.run(
        command, cwd=repo_root, capture_output=True, text=True, env=clean_env(), timeout=timeout
    )


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line of a refused run (exit 2, no traceback)."""
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    return errors[0]


def mlflow_store(root: Path) -> tuple[str, Any, str]:
    """A new SQLite MLflow store in ``root`` with an ``xner`` experiment: (uri, client, id)."""
    from mlflow.tracking import MlflowClient  # imported when used: mlflow is slow to import

    uri = store_uri(root)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("xner", artifact_location=(root / "artifacts").as_uri())
    return uri, client, experiment
