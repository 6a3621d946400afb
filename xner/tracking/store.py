"""Read-side access to the MLflow store shared by the report, diff and rerun commands."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from xner.errors import ConfigError, DataError
from xner.tracking.runs import tracking_uri

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

SQLITE_PREFIX = "sqlite:///"


def open_client(uri: str | None = None) -> MlflowClient:
    """A client on an existing store; refuses to create an empty SQLite database by reading it."""
    from mlflow.tracking import MlflowClient

    uri = tracking_uri(uri)
    if uri.startswith(SQLITE_PREFIX):
        path = Path(uri[len(SQLITE_PREFIX) :])
        if not path.is_file():
            raise ConfigError(
                f"no MLflow store at {path}: run train.py first or set MLFLOW_TRACKING_URI"
            )
    return MlflowClient(tracking_uri=uri)


def resolve_run(client: MlflowClient, ref: str) -> Run:
    """The run with id `ref`, else the single run named `ref` in any experiment."""
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(ref)
    except MlflowException:
        pass
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    name = ref.replace("'", "\\'")
    matches = (
        client.search_runs(ids, f"attributes.run_name = '{name}'", max_results=2) if ids else []
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(f"no run with id or name {ref!r} in {client.tracking_uri}")
    raise ConfigError(f"run name {ref!r} is not unique in {client.tracking_uri}: give the run id")


def download_text(client: MlflowClient, run_id: str, path: str) -> str | None:
    """The text of artifact `path` of a run, or None when the run has no such artifact."""
    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # keep stderr clean
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except (MlflowException, OSError):
            return None
        local_path = Path(local)
        if not local_path.is_file():
            return None
        return local_path.read_text(encoding="utf-8")


def require_text(client: MlflowClient, run_id: str, path: str) -> str:
    """Like download_text, but a missing artifact is a user-facing error."""
    text = download_text(client, run_id, path)
    if text is None:
        raise DataError(f"run {run_id} has no artifact {path}: was it logged by train.py?")
    return text
