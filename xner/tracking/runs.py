"""A job's MLflow run from start to end (:class:`JobRun`, :func:`start_job_run`) and a sweep's
parent run. Where the store is and how it is reached: :mod:`xner.tracking.connection`; what a run
records about its config and code: :mod:`xner.tracking.job_tags`, :mod:`xner.tracking.provenance`;
runs left by killed processes: :mod:`xner.tracking.abandoned`."""

import json
import logging
import os
import platform
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.tracking.connection import (
    client,
    ensure_experiment,
    guarded,
    log_inputs_racing,
    tracking_uri,
)
from xner.tracking.job_tags import (
    MAX_RUN_NAME,
    MAX_TAG_VALUE,
    config_params,
    job_tags,
    mlflow_param,
)
from xner.tracking.names import (
    CONFIG_ARTIFACT,
    DATA_CONTEXT_TAG,
    ENVIRONMENT_ARTIFACT,
    FULL_NAME_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    HOST_TAG,
    MACHINE_TAG,
    OVERRIDES_ARTIFACT,
    PARENT_ROLE,
    PID_TAG,
    ROLE_TAG,
)
from xner.tracking.provenance import git_state, machine, package_versions, source_tags
from xner.tracking.system_metrics import start_monitor, stop_monitor

log = logging.getLogger(__name__)


@dataclass
class JobRun:
    """An open MLflow run of one job; everything a job logs goes through here."""

    uri: str
    run_id: str
    experiment_id: str
    monitor: Any = None  # MLflow's system-metrics sampler (xner.tracking.system_metrics)

    @property
    def client(self) -> Any:
        return client(self.uri)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(k, float(v), now, step or 0) for k, v in metrics.items()]
        with guarded(self.uri, "logging metrics", self.run_id):
            for start in range(0, len(batch), 500):
                self.client.log_batch(self.run_id, metrics=batch[start : start + 500])

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Params a job learns as it runs (``teacher_weight/<lang>``), besides its config's."""
        with guarded(self.uri, "logging params", self.run_id):
            self.client.log_batch(
                self.run_id, params=[mlflow_param(k, str(v)) for k, v in params.items()]
            )

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import RunTag

        with guarded(self.uri, "setting tags", self.run_id):
            self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_artifact(self, path: str | os.PathLike, folder: str | None = None) -> None:
        with guarded(self.uri, f"logging the artifact {path}", self.run_id):
            self.client.log_artifact(self.run_id, str(path), folder)

    def log_text(self, text: str, name: str) -> None:
        with guarded(self.uri, f"logging {name}", self.run_id):
            self.client.log_text(self.run_id, text, name)

    def log_dict(self, value: Mapping, name: str) -> None:
        with guarded(self.uri, f"logging {name}", self.run_id):
            self.client.log_dict(self.run_id, dict(value), name)

    def log_dataset(
        self, name: str, lang: str, split: str, role: str, digest: str, size: int, source: str
    ) -> None:
        """One MLflow dataset input (the runs table's Datasets column): context = split."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        profile = json.dumps({"lang": lang, "split": split, "role": role, "sentences": size})
        dataset = Dataset(
            name=f"{name}-{lang}",
            digest=digest[:36],
            source_type="local" if not source.startswith("http") else "http",
            source=json.dumps({"uri": source}),
            profile=profile,
        )
        tags = [InputTag(DATA_CONTEXT_TAG, split), InputTag(ROLE_TAG, role)]
        with guarded(self.uri, f"logging the dataset {name}-{lang} {split}", self.run_id):
            log_inputs_racing(self.client, self.run_id, [DatasetInput(dataset, tags)])

    def finish(self, status: str = "FINISHED") -> None:
        stop_monitor(self.monitor)
        self.monitor = None
        with guarded(self.uri, f"marking the run {status}", self.run_id):
            self.client.set_terminated(self.run_id, status)


def _log_job_files(
    job: JobRun,
    resolved: Mapping,
    app: str,
    overrides: list[str],
    fingerprints: Mapping[str, str] | None,
    git: tuple[str, bool],
) -> None:
    """Params, the resolved config and overrides, and config/environment.json of a new run."""
    params, mlflow_client = config_params(resolved), job.client
    with guarded(job.uri, "logging params", job.run_id):
        for start in range(0, len(params), 100):
            mlflow_client.log_batch(job.run_id, params=params[start : start + 100])
    job.log_text(OmegaConf.to_yaml(OmegaConf.create(resolved)), CONFIG_ARTIFACT)
    job.log_text(OmegaConf.to_yaml(OmegaConf.create(list(overrides))), OVERRIDES_ARTIFACT)
    commit, dirty = git
    job.log_dict(
        {
            "python": platform.python_version(),
            "packages": package_versions(),
            GIT_COMMIT_TAG: commit,
            GIT_DIRTY_TAG: dirty,
            "app": app,
            "overrides": list(overrides),
            "data_fingerprints": dict(fingerprints or {}),
        },
        ENVIRONMENT_ARTIFACT,
    )


def start_job_run(
    config: DictConfig,
    app: str,
    overrides: list[str],
    choices: Mapping[str, str],
    parent_run_id: str | None = None,
    fingerprints: Mapping[str, str] | None = None,
) -> JobRun:
    """Open the job's run: params, tags and the resolved config and overrides as artifacts."""
    resolved = OmegaConf.to_container(config, resolve=True)
    track = resolved.get("tracking", {}) or {}
    uri = tracking_uri(track.get("uri"))
    experiment_id = ensure_experiment(
        uri, track.get("experiment", "xner"), track.get("artifact_location")
    )
    commit, dirty = git_state()
    tags = job_tags(resolved, app, choices, parent_run_id, commit, dirty)
    run_name = track.get("run_name") or "-".join(
        str(x) for x in (tags["variant"] or app, tags["lang"]) if x
    )
    run_name = fitted_name(run_name, tags)
    with guarded(uri, "creating the job's run"):
        run = client(uri).create_run(experiment_id, run_name=run_name, tags=tags)
    job = JobRun(uri, run.info.run_id, experiment_id)
    _log_job_files(job, resolved, app, overrides, fingerprints, (commit, dirty))
    if track.get("system_metrics", True):
        interval = float(track.get("system_metrics_interval") or 10)
        job.monitor = start_monitor(uri, job.run_id, interval)
    log.info("MLflow run %s (%s) in %s", job.run_id, run_name, uri)
    return job


def update_environment(
    job: JobRun, fingerprints: Mapping[str, str], stage_code: Mapping[str, Any] | None = None
) -> None:
    """Add data fingerprints and the cached stages' code fingerprints, known only once the
    job has run, to config/environment.json."""
    with tempfile.TemporaryDirectory() as tmp, guarded(job.uri, "reading back", job.run_id):
        path = job.client.download_artifacts(job.run_id, ENVIRONMENT_ARTIFACT, tmp)
        env = json.loads(Path(path).read_text())
    env["data_fingerprints"] = {**env.get("data_fingerprints", {}), **fingerprints}
    if stage_code:
        env["stage_code"] = {**env.get("stage_code", {}), **stage_code}
    job.log_dict(env, ENVIRONMENT_ARTIFACT)


def fitted_name(name: str, tags: dict[str, str]) -> str:
    """A run name a PostgreSQL store accepts (250 characters); the whole name goes to a tag."""
    if len(name) <= MAX_RUN_NAME:
        return name
    tags[FULL_NAME_TAG] = name[:MAX_TAG_VALUE]
    return name[: MAX_RUN_NAME - 1] + "…"


def start_parent_run(
    uri: str, experiment: str, name: str, tags: Mapping[str, str], entry_point: str = "train"
) -> str:
    experiment_id = ensure_experiment(uri, experiment)
    tags = {
        ROLE_TAG: PARENT_ROLE,
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(os.getpid()),  # lets a relaunch end the parent of a killed sweep
        MACHINE_TAG: machine(),
        **source_tags(entry_point),
        **tags,
    }
    name = fitted_name(name, tags)
    run = client(uri).create_run(experiment_id, run_name=name, tags=tags)
    return run.info.run_id
