"""Read-side access to the MLflow store: clients, run lookup, run records and searches, shared by
the report, diff and rerun commands and the sweep callbacks."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xner.data.text import printable
from xner.errors import ConfigError, DataError
from xner.tracking.connection import tracking_uri
from xner.tracking.names import PARENT_ROLE, PARENT_TAG, REUSED_TAG, ROLE_TAG

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

SQLITE_PREFIX = "sqlite:///"
MAX_LISTED = 10  # same-named runs an ambiguous name lists
UNFINISHED = ("FAILED", "KILLED")  # the end statuses of a job that did not finish


@dataclass(frozen=True)
class RunRecord:
    """What the report needs of one MLflow run."""

    run_id: str
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    parent_id: str | None = None
    run_name: str = ""
    start_time: int = 0


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
        client.search_runs(
            ids,
            f"attributes.run_name = '{name}'",
            max_results=MAX_LISTED + 1,
            order_by=["attributes.start_time DESC"],
        )
        if ids
        else []
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(f"no run with id or name {ref!r} in {client.tracking_uri}")
    listed = ", ".join(_described(run) for run in matches[:MAX_LISTED])
    more = ", ..." if len(matches) > MAX_LISTED else ""
    raise ConfigError(
        f"run name {ref!r} is not unique in {client.tracking_uri}: give the run id ({listed}{more})"
    )


def _described(run: Run) -> str:
    """``<id> (started <UTC time>, <status>)``: enough to tell same-named runs apart."""
    import datetime

    started = datetime.datetime.fromtimestamp((run.info.start_time or 0) / 1000, datetime.UTC)
    return f"{run.info.run_id} (started {started:%Y-%m-%d %H:%M:%S} UTC, {run.info.status})"


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


def require_yaml(client: MlflowClient, run_id: str, path: str) -> Any:
    """Artifact ``path`` of a run read as plain YAML (``safe_load``): a tag that would build a
    Python object, or broken YAML, is a one-line error, never a traceback."""
    import yaml

    try:
        return yaml.safe_load(require_text(client, run_id, path))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        message = f"run {run_id}: artifact {path}{where} is not plain YAML ({problem}); refused"
        raise DataError(printable(message)) from None


def parse_json(text: str, run_id: str, path: str) -> Any:
    """Artifact ``path`` of a run read as JSON; broken JSON is a one-line error."""
    try:
        return json.loads(text)
    except ValueError as err:
        raise DataError(f"run {run_id}: artifact {path} is not valid JSON ({err})") from None


def record_of(run: Run) -> RunRecord:
    """RunRecord from an mlflow.entities.Run."""
    tags = dict(run.data.tags)
    return RunRecord(
        run_id=run.info.run_id,
        tags=tags,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        parent_id=tags.get(PARENT_TAG),
        run_name=run.info.run_name or "",
        start_time=run.info.start_time or 0,
    )


def experiment_id(client: MlflowClient, experiment: str) -> str:
    """The id of an experiment by name; an unknown name lists the store's experiments."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = sorted(e.name for e in client.search_experiments())
        raise ConfigError(
            f"no experiment {experiment!r} in {client.tracking_uri}; "
            f"experiments: {', '.join(names) or 'none'}"
        )
    return found.experiment_id


def search_all(
    client: MlflowClient, experiment_ids: list[str], filter_string: str, page_size: int = 1000
) -> list:
    """Every matching run, following the pagination tokens."""
    runs, token = [], None
    while True:
        page = client.search_runs(
            experiment_ids, filter_string, max_results=page_size, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def children_filter(parent: str) -> str:
    """The search filter of a parent run's child runs."""
    return f"tags.`{PARENT_TAG}` = '{parent}'"


def load_runs(
    uri: str | None = None,
    experiment: str = "xner",
    parent: str | None = None,
    filters: str = "",
    page_size: int = 1000,
) -> list[RunRecord]:
    """The finished runs of an experiment.

    With `parent`: its child runs, plus the finished runs a restarted sweep reused (tags
    `xner.reused.<job>` on the parent).
    """
    client = open_client(uri)
    clauses = ["attributes.status = 'FINISHED'"]
    if parent:
        clauses.append(children_filter(parent))
    if filters:
        clauses.append(filters)
    found = experiment_id(client, experiment)
    runs = search_all(client, [found], " and ".join(clauses), page_size)
    if parent:
        seen = {run.info.run_id for run in runs}
        tags = client.get_run(parent).data.tags
        reused = sorted({v for k, v in tags.items() if k.startswith(f"{REUSED_TAG}.")} - seen)
        runs += [client.get_run(run_id) for run_id in reused]
    return [record_of(run) for run in runs]


def load_failed_runs(uri: str | None, experiment: str, parent: str | None) -> list[RunRecord]:
    """The child runs of a sweep (``None``: the runs of the experiment) that FAILED or were
    KILLED (their reason: tag xner.error)."""
    client = open_client(uri)
    found = experiment_id(client, experiment)
    clauses = [children_filter(parent)] if parent else []
    runs = [
        run
        for status in UNFINISHED
        for run in search_all(
            client, [found], " and ".join([*clauses, f"attributes.status = '{status}'"])
        )
    ]
    return [record_of(r) for r in runs if r.info.status in UNFINISHED]


def newest_sweep(client: MlflowClient, experiment: str) -> Run | None:
    """The most recently started sweep parent run of an experiment, if any."""
    runs = client.search_runs(
        [experiment_id(client, experiment)],
        f"tags.`{ROLE_TAG}` = '{PARENT_ROLE}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0] if runs else None
