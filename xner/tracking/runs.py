"""MLflow tracking: one run per Hydra job, a parent run per sweep, a store that is safe to share.

The default store is a SQLite database under ``mlruns/`` with the artifacts beside it;
``MLFLOW_TRACKING_URI`` or ``tracking.uri=`` point every run elsewhere (e.g. a shared
``mlflow server``). A new SQLite database is created once, under a file lock, never by
several jobs racing on its schema migrations (DESIGN.md §7).
"""

import fcntl
import hashlib
import json
import logging
import os
import platform
import re
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from omegaconf import DictConfig, OmegaConf

from xner import __version__
from xner.cluster.slurm_job import current_job, job_gone
from xner.errors import ConfigError, XnerError
from xner.methods.kind import MethodKind, kind_of
from xner.paths import PROJECT_ROOT
from xner.tracking.determinism import nondeterministic_parts
from xner.tracking.names import (
    ABANDONED_TAG,
    APP_TAG,
    COMPLETE_TAG,
    CONFIG_ARTIFACT,
    CONFIG_HASH_TAG,
    DATA_CONTEXT_TAG,
    ENVIRONMENT_ARTIFACT,
    EXPERIMENT_TAGS,
    FULL_NAME_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    HOST_TAG,
    METHOD_ORDER_TAG,
    METHOD_ROLE_TAG,
    NONDETERMINISTIC_TAG,
    OVERRIDES_ARTIFACT,
    PARENT_ROLE,
    PARENT_TAG,
    PID_TAG,
    ROLE_TAG,
    SLURM_JOB_TAG,
    SWEEP_TAG,
    VERSION_TAG,
    variant_name,
)
from xner.tracking.system_metrics import start_monitor, stop_monitor

log = logging.getLogger(__name__)

TAG_GROUPS = ("translator", "aligner", "projector", "model", "labeler")
PROJECTION_GROUPS = ("translator", "aligner", "projector", "labeler")  # the pipeline's parts
TRACKED_PACKAGES = (
    "torch",
    "transformers",
    "pytorch-lightning",
    "mlflow",
    "hydra-core",
    "ortools",
    "eflomal",
    "simalign",
    "seqeval",
    "xner",
)
MAX_RUN_NAME, MAX_TAG_VALUE = 250, 8000  # MLflow's column sizes, enforced by PostgreSQL


_CONNECTION_FAILURES = ("Connection refused", "Connection reset", "timed out", "Connection aborted")
_REFUSALS = {
    "error code 401": "refused the login (HTTP 401): check MLFLOW_TRACKING_USERNAME and "
    "MLFLOW_TRACKING_PASSWORD",
    "error code 403": "refused access (HTTP 403): the account lacks permission on the experiment",
}


class TrackingError(XnerError):
    """The MLflow store stopped answering in the middle of a job."""


def tracking_failure(uri: str, what: str, err: BaseException, run_id: str = "") -> TrackingError:
    """A one-line error naming the store, the step and the cause; files on disk are untouched."""
    text = str(err)
    known = [c for c in _CONNECTION_FAILURES if c.lower() in text.lower()]
    cause = next((line for line in text.splitlines() if line.strip()), type(err).__name__)
    cause = f"{known[0].lower()} ({type(err).__name__})" if known else cause[:200]
    run = f" (run {run_id})" if run_id else ""
    if refusal(err):  # nothing to resume: the job never got in
        return TrackingError(f"the MLflow store {uri} {refusal(err)} (while {what}{run})")
    return TrackingError(
        f"MLflow store {uri} failed while {what}{run}: {cause}; files the job already "
        "wrote (out=, cache) are kept; rerun the sweep once the store is back "
        "(retries: MLFLOW_HTTP_REQUEST_MAX_RETRIES, MLFLOW_HTTP_REQUEST_TIMEOUT)"
    )


@contextmanager
def guarded(uri: str, what: str, run_id: str = "") -> Iterator[None]:
    """Turn any failure of the MLflow calls inside into a :class:`TrackingError`."""
    try:
        yield
    except XnerError:
        raise
    except Exception as err:
        raise tracking_failure(uri, what, err, run_id) from err


_DUPLICATE_KEY = ("duplicate key", "UNIQUE constraint failed", "UniqueViolation", "IntegrityError")


def log_inputs_racing(client: Any, run_id: str, inputs: list, attempts: int = 4) -> None:
    """Log dataset inputs, retrying the store's check-then-insert race between parallel jobs.

    MLflow's SQL store looks a dataset up and inserts it if missing, in one transaction; two
    jobs of a sweep logging the same dataset can both miss it, and the second insert fails on
    the unique key. That transaction is rolled back whole, and by the retry the row exists.
    """
    import time

    for attempt in range(attempts):
        try:
            client.log_inputs(run_id, inputs)
            return
        except Exception as err:
            if attempt == attempts - 1 or not any(k in str(err) for k in _DUPLICATE_KEY):
                raise
            time.sleep(0.05 * (attempt + 1))


def refusal(err: BaseException) -> str | None:
    """What a server that turned the credentials down said, in words; None for other errors."""
    return next((words for code, words in _REFUSALS.items() if code in str(err)), None)


def tracking_uri(configured: str | None = None) -> str:
    """``tracking.uri`` (or a CLI flag) wins, then ``MLFLOW_TRACKING_URI``, then ``mlruns/``."""
    if configured:
        return without_password(str(configured))
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return without_password(env)
    return f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}"


def without_password(uri: str) -> str:
    """Refuse a store URI that holds a password: it would be logged as a param and printed."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri
    if password is None:
        return uri
    shown = f"{parts.scheme}://{parts.username or ''}:***@{parts.hostname or ''}"
    raise ConfigError(
        f"the MLflow store URI {shown}... holds a password, which would be logged with every "
        "run: give it as MLFLOW_TRACKING_PASSWORD (a server) or in a pgpass file (a database)"
    )


def artifact_location(uri: str, configured: str | None = None) -> str | None:
    """Artifacts of a local SQLite store go beside the database; a server chooses its own."""
    if configured:
        return str(configured)
    path = _sqlite_path(uri)
    if path is None:
        return None
    return (path.parent / "artifacts").resolve().as_uri()


def _sqlite_path(uri: str) -> Path | None:
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///"))


@contextmanager
def _store_lock(uri: str) -> Iterator[None]:
    path = _sqlite_path(uri)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def client(uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def ensure_experiment(uri: str, experiment: str, artifacts: str | None = None) -> str:
    """Create the store (once, under a lock) and the experiment; return the experiment id."""
    with _store_lock(uri):
        try:
            mlflow_client = client(uri)
            found = mlflow_client.get_experiment_by_name(experiment)
            if found is not None:
                return found.experiment_id
            try:
                return mlflow_client.create_experiment(
                    experiment,
                    artifact_location=artifact_location(uri, artifacts),
                    tags=EXPERIMENT_TAGS,
                )
            except Exception as err:  # a parallel job on a shared server created it first
                found = mlflow_client.get_experiment_by_name(experiment)
                if found is None:
                    raise err
                return found.experiment_id
        except ConfigError:
            raise
        except Exception as err:
            if refusal(err):
                raise ConfigError(f"the MLflow store {uri} {refusal(err)}") from err
            raise ConfigError(
                f"cannot reach the MLflow store {uri!r}: {type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}"
            ) from err


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """Dotted keys for nested dicts and lists, values as strings (MLflow params)."""
    if isinstance(tree, Mapping):
        items = [(f"{prefix}{k}", v) for k, v in tree.items()]
    elif isinstance(tree, list | tuple):
        items = [(f"{prefix}{i}", v) for i, v in enumerate(tree)]
    else:
        return {prefix.rstrip("."): str(tree)}
    flat: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, Mapping | list | tuple) and value:
            flat.update(flatten(value, f"{key}."))
        else:
            flat[key] = str(value)
    return flat


def git_state(root: Path = PROJECT_ROOT) -> tuple[str, bool]:
    """(commit, dirty); ("unknown", True) outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True
    return commit, bool(status.strip())


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def config_hash(config: Mapping) -> str:
    """Identity of a job: the resolved config without the parts that do not change results."""
    ignored = {"tracking", "hydra", "paths", "cache", "out"}
    relevant = {k: v for k, v in config.items() if k not in ignored}
    blob = json.dumps(relevant, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def checkpoint_name(checkpoint: str) -> str:
    """A short name of a checkpoint: the last part of its hub id or folder."""
    return str(checkpoint).rstrip("/").rsplit("/", 1)[-1]


def tag_groups(kind: MethodKind) -> tuple[str, ...]:
    """The config groups a method uses, so a run is tagged only with parts it ran: the
    projection pipeline's (translator, aligner, projector, labeler) for a method that runs
    one, the projector for one that takes a projector (its column names it)."""
    used = {"model"}
    if kind.pipelines:
        used.update(PROJECTION_GROUPS)
    if kind.projects:
        used.add("projector")
    return tuple(g for g in TAG_GROUPS if g in used)


def role_tags(kind: MethodKind, resolved: Mapping) -> dict[str, str]:
    """The ``teacher`` and ``student`` tags of a run of a method that distils (model names, or
    the names of the given teacher checkpoints); none for other methods."""
    if not kind.distills:
        return {}
    given = (resolved.get("method") or {}).get("teachers") or []
    teacher = (resolved.get("teacher") or {}).get("name", "")
    if given:
        teacher = "+".join(checkpoint_name(c) for c in given)
    student = (resolved.get("student") or {}).get("name", "")
    return {"teacher": str(teacher), "student": str(student)}


def method_tags(kind: MethodKind) -> dict[str, str]:
    """The declaration the gap table reads back: the method's role and column order."""
    if kind.role is None:
        return {}
    return {METHOD_ROLE_TAG: kind.role, METHOD_ORDER_TAG: str(kind.order)}


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
                self.run_id, params=[_param(k, str(v)) for k, v in params.items()]
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


def source_tags(entry_point: str, commit: str | None = None) -> dict[str, str]:
    """MLflow's own source tags, so the UI's Source and User columns are filled."""
    import getpass

    from mlflow.utils import mlflow_tags as mt

    if commit is None:
        commit, _ = git_state()
    tags = {
        mt.MLFLOW_SOURCE_NAME: f"{entry_point}.py" if "." not in entry_point else entry_point,
        mt.MLFLOW_SOURCE_TYPE: "LOCAL",
        mt.MLFLOW_GIT_COMMIT: commit,
    }
    try:
        tags[mt.MLFLOW_USER] = getpass.getuser()
    except (KeyError, OSError):
        pass
    branch = _git_output(["rev-parse", "--abbrev-ref", "HEAD"])
    if branch and branch != "HEAD":
        tags[mt.MLFLOW_GIT_BRANCH] = branch
    remote = _git_output(["config", "--get", "remote.origin.url"])
    if remote:  # never a token: user:password@ is cut from https remotes
        tags[mt.MLFLOW_GIT_REPO_URL] = re.sub(r"^(\w+://)[^/@]*@", r"\1", remote)
    return tags


def _git_output(args: list[str], root: Path = PROJECT_ROOT) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _param(key: str, value: str) -> Any:
    """An MLflow param cut to the store's limits (key 250, value 6000 characters)."""
    from mlflow.entities import Param

    return Param(key[:250], value[:6000])


def _params(config: Mapping) -> list:
    flat = flatten({k: v for k, v in config.items() if k != "hydra"})
    return [_param(k, v) for k, v in sorted(flat.items())]


def job_tags(
    resolved: Mapping,
    app: str,
    choices: Mapping[str, str],
    parent_run_id: str | None,
    commit: str,
    dirty: bool,
) -> dict[str, str]:
    """The job run's tags: method, language, choices, roles, variant, source and git state."""
    track = resolved.get("tracking", {}) or {}
    method = choices.get("method") or str(resolved.get("task") or "")
    kind = kind_of(resolved, method)
    tags = {
        "method": method,
        "lang": resolved.get("lang", ""),
        "dataset": choices.get("data", ""),
        "seed": resolved.get("seed", ""),
        GIT_COMMIT_TAG: commit,
        GIT_DIRTY_TAG: str(dirty).lower(),
        VERSION_TAG: __version__,
        APP_TAG: app,
        CONFIG_HASH_TAG: config_hash(resolved),
        HOST_TAG: socket.gethostname(),
        PID_TAG: os.getpid(),
        **({SLURM_JOB_TAG: slurm} if (slurm := current_job()) else {}),
        **{group: choices.get(group, "") for group in tag_groups(kind)},
        **method_tags(kind),
    }
    roles = role_tags(kind, resolved)
    tags.update(roles)
    projector = tags.get("projector", "")
    tags["variant"] = resolved.get("column") or variant_name(kind, projector, **roles)
    if parts := nondeterministic_parts(resolved, kind):
        tags[NONDETERMINISTIC_TAG] = "; ".join(parts)
    tags.update({k: str(v) for k, v in (track.get("tags") or {}).items()})
    tags.update(source_tags(app, commit))
    if parent_run_id:
        tags[PARENT_TAG] = parent_run_id
    return {k: str(v) for k, v in tags.items()}  # a server's REST API takes strings only


def _log_job_files(
    job: JobRun,
    resolved: Mapping,
    app: str,
    overrides: list[str],
    fingerprints: Mapping[str, str] | None,
    git: tuple[str, bool],
) -> None:
    """Params, the resolved config and overrides, and config/environment.json of a new run."""
    params, mlflow_client = _params(resolved), job.client
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
        **source_tags(entry_point),
        **tags,
    }
    name = fitted_name(name, tags)
    run = client(uri).create_run(experiment_id, run_name=name, tags=tags)
    return run.info.run_id


def _same_job(cfg_hash: str) -> str:
    """The search filter of the runs of one job config."""
    return f"tags.`{CONFIG_HASH_TAG}` = '{cfg_hash}'"


def find_finished_run(uri: str, experiment: str, cfg_hash: str) -> str | None:
    """A complete FINISHED run of the same job config, so a restarted sweep does not redo it.

    A FINISHED run that is not complete (:func:`is_complete`) was ended before its job was:
    it is marked KILLED, tagged ``xner.abandoned``, and the job runs again.
    """
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    if found is None:
        return None
    from xner.tracking.store import search_all

    runs = search_all(
        mlflow_client,
        [found.experiment_id],
        f"{_same_job(cfg_hash)} and attributes.status = 'FINISHED'",
    )
    done = None
    for run in runs:  # the store's order: the newest first
        if not is_complete(run):
            mlflow_client.set_tag(run.info.run_id, ABANDONED_TAG, INCOMPLETE)
            mlflow_client.set_terminated(run.info.run_id, "KILLED")
            log.warning("run %s finished without its test metrics; marked KILLED", run.info.run_id)
        elif done is None:
            done = run.info.run_id
    return done


INCOMPLETE = "finished without its test metrics; marked KILLED by a rerun"


def is_complete(run: Any) -> bool:
    """Whether a FINISHED run holds everything its job logs: tagged ``xner.complete`` by xner,
    or (a run from before that tag) a ``train.py`` run with its ``test/f1``, or another app's."""
    tags = run.data.tags
    if COMPLETE_TAG in tags:
        return tags[COMPLETE_TAG] == "true"
    return tags.get(APP_TAG) != "train" or "test/f1" in run.data.metrics


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _gone(tags: dict[str, str], host: str) -> str | None:
    """Why the job of a RUNNING run is known to be gone, or None when it may be alive."""
    slurm = tags.get(SLURM_JOB_TAG)
    if slurm and job_gone(slurm):
        return f"SLURM job {slurm} ended"
    pid = tags.get(PID_TAG, "")
    if tags.get(HOST_TAG) == host and pid.isdigit() and _process_gone(int(pid)):
        return "process gone"
    return None


def mark_abandoned_runs(uri: str, experiment: str, cfg_hash: str) -> list[str]:
    """Mark KILLED the RUNNING runs of this job config whose process (here) or SLURM job is gone.

    A job killed outright (SIGKILL, out of memory, node loss) cannot end its own run; the
    rerun of the job does it. Runs of other hosts, or of live processes, are left alone.
    """
    return _end_abandoned(uri, experiment, _same_job(cfg_hash), "marked by a rerun")


def sweep_key(entry_point: str, overrides: list[str]) -> str:
    """Identity of a sweep: its app and command-line overrides (tag ``xner.sweep``)."""
    blob = json.dumps([entry_point, list(overrides)])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def end_abandoned_parents(uri: str, experiment: str, key: str) -> list[str]:
    """Mark KILLED the RUNNING parent runs of earlier attempts of the same sweep (``key``) whose
    process on this host is gone: a sweep killed outright cannot end its parent run."""
    same_sweep = f"tags.`{SWEEP_TAG}` = '{key}' and tags.`{ROLE_TAG}` = '{PARENT_ROLE}'"
    return _end_abandoned(uri, experiment, same_sweep, "sweep killed; ended by its relaunch")


def _end_abandoned(uri: str, experiment: str, which: str, why: str) -> list[str]:
    """End KILLED (tagged with how it is known to be gone, and ``why``) the RUNNING runs
    matching ``which`` whose process or SLURM job is gone."""
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    if found is None:
        return []
    from xner.tracking.store import search_all

    runs = search_all(
        mlflow_client, [found.experiment_id], f"{which} and attributes.status = 'RUNNING'"
    )
    host = socket.gethostname()
    marked = []
    for run in runs:
        tags = run.data.tags
        gone = _gone(tags, host)
        if gone is None:
            continue
        mlflow_client.set_tag(run.info.run_id, ABANDONED_TAG, f"{gone}; {why}")
        mlflow_client.set_terminated(run.info.run_id, "KILLED")
        log.warning("run %s was left RUNNING by a killed process; marked KILLED", run.info.run_id)
        marked.append(run.info.run_id)
    return marked
