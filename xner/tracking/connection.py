"""Where the MLflow store is and how to reach it: URIs, credentials kept out of logs, errors that
name the store.

The default store is a SQLite database under ``mlruns/`` with the artifacts beside it;
``MLFLOW_TRACKING_URI`` or ``tracking.uri=`` point every run elsewhere (e.g. a shared
``mlflow server``). A new SQLite database is created once, under a file lock, never by
several jobs racing on its schema migrations (docs/explanation/architecture.md, known pitfalls).
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from xner.errors import ConfigError, XnerError
from xner.paths import PROJECT_ROOT
from xner.tracking.names import (
    EXPERIMENT_TAGS,
)

log = logging.getLogger(__name__)


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
