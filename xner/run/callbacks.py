"""Hydra callbacks: a sweep is one MLflow parent run, created before any job starts."""

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from xner.errors import XnerError
from xner.pipeline.cache import StageCache
from xner.run import signals
from xner.run.sweep_record import SweepRecord
from xner.tracking.abandoned import end_abandoned_parents, sweep_key
from xner.tracking.connection import client, ensure_experiment, tracking_uri
from xner.tracking.names import (
    ABANDONED_TAG,
    ERROR_TAG,
    FAILED_JOBS_TAG,
    HOST_TAG,
    PARENT_ID_FILE,
    PID_TAG,
    REUSED_TAG,
    SWEEP_DIR_TAG,
    SWEEP_TAG,
)
from xner.tracking.runs import start_parent_run

log = logging.getLogger(__name__)


class MLflowSweepCallback(Callback):
    """Creates the store and the parent run once, so parallel jobs never race on a new database;
    at the end of the sweep prints the gap table of its runs (saved to the parent run) and the
    stage cache's size.

    The parent ends FAILED when no job finished (every job failed, or none got a run); failed
    jobs are named in its tag ``xner.failed_jobs``. ``record``: the file the entry point reads
    the parent run and the failed jobs from (:class:`xner.run.sweep_record.SweepRecord`), to end
    an interrupted sweep's parent and set the exit status.
    """

    def __init__(self, record: str | None = None) -> None:
        self.record = SweepRecord(Path(record)) if record else None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        uri = tracking_uri(config.tracking.get("uri"))
        experiment = config.tracking.get("experiment", "xner")
        ensure_experiment(uri, experiment, config.tracking.get("artifact_location"))
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        _end_killed_parent(uri, sweep_dir / PARENT_ID_FILE)
        # unresolved: an override may hold an interpolation only a job can resolve (${hydra:...})
        words = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
        entry_point = str(config.hydra.job.get("name") or "train")
        key = sweep_key(entry_point, words)
        end_abandoned_parents(uri, experiment, key)  # earlier attempts, in other folders too
        parent = start_parent_run(
            uri,
            experiment,
            f"sweep {' '.join(words)}".strip(),
            {SWEEP_DIR_TAG: str(sweep_dir), SWEEP_TAG: key},
            entry_point,
        )
        (sweep_dir / PARENT_ID_FILE).write_text(parent)
        if self.record is not None:
            self.record.write(uri=uri, parent=parent, ended=False, failed=[])
        log.info("MLflow parent run %s for sweep in %s", parent, sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            self._end_parent_run(config)
        finally:
            cache_dir = (config.get("cache") or {}).get("dir")
            if cache_dir:
                print(StageCache(cache_dir).describe())

    def _end_parent_run(self, config: DictConfig) -> None:
        path = Path(config.hydra.sweep.dir) / PARENT_ID_FILE
        if not path.is_file():
            return
        uri = tracking_uri(config.tracking.get("uri"))
        parent = path.read_text().strip()
        failed, finished = job_outcomes(uri, parent)
        try:
            print_sweep_report(uri, config.tracking.get("experiment", "xner"), parent)
        except XnerError as err:
            print(f"no gap table for this sweep: {err}")
        end_parent(uri, parent, "FINISHED" if finished else "FAILED", failed)
        if self.record is not None:
            self.record.write(ended=True, failed=[name for name, _ in failed])
        if failed:
            print(f"{len(failed)} of {len(failed) + finished} jobs failed: {_names(failed)}")


def end_interrupted(open_parent: tuple[str, str] | None, err: BaseException) -> list[str]:
    """The sweep stopped early: its open parent run ``(uri, run id)`` ends KILLED (a signal) or
    FAILED (a crash).

    Returns what was ended, for the one line an interrupt prints (nothing outside a sweep);
    a crash is reported on stdout."""
    if open_parent is None:
        return []
    uri, parent = open_parent
    status = "FAILED" if signals.signal_of(err) is None else "KILLED"
    why = f"sweep stopped: {type(err).__name__}"
    try:
        failed, _ = job_outcomes(uri, parent, also_running=True)
        _end_own_children(uri, parent)
        end_parent(uri, parent, status, failed, why)
    except Exception as store_err:  # the store may be what failed
        cause = (str(store_err).splitlines() or [type(store_err).__name__])[0][:200]
        print(
            f"could not end the parent run {parent} ({cause}); relaunching the sweep marks "
            "it KILLED",
            file=sys.stderr,
        )
        return []
    if status == "FAILED":
        print(f"sweep stopped ({type(err).__name__}): parent run {parent} ended {status}")
    return [f"the sweep's parent run {parent}"]


def _end_own_children(uri: str, parent: str) -> None:
    """Jobs this process ran and left RUNNING (interrupted before their own handler) end KILLED;
    jobs of other processes (a cluster's) are left to end themselves."""
    import os
    import socket

    from xner.tracking.store import children_filter, search_all

    mlflow_client = client(uri)
    experiment_id = mlflow_client.get_run(parent).info.experiment_id
    running = search_all(
        mlflow_client,
        [experiment_id],
        f"{children_filter(parent)} and attributes.status = 'RUNNING'",
    )
    for run in running:
        tags = run.data.tags
        if tags.get(PID_TAG) == str(os.getpid()) and tags.get(HOST_TAG) == socket.gethostname():
            mlflow_client.set_tag(run.info.run_id, ABANDONED_TAG, "sweep interrupted")
            mlflow_client.set_terminated(run.info.run_id, "KILLED")


def _names(failed: list[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in failed)


def job_outcomes(
    uri: str, parent: str, also_running: bool = False
) -> tuple[list[tuple[str, str]], int]:
    """(failed jobs as (run name, reason), number of finished or reused jobs) of a sweep."""
    from xner.tracking.store import UNFINISHED, children_filter, search_all

    mlflow_client = client(uri)
    run = mlflow_client.get_run(parent)
    children = search_all(mlflow_client, [run.info.experiment_id], children_filter(parent))
    bad = (*UNFINISHED, *(("RUNNING",) if also_running else ()))
    failed = [
        (c.info.run_name or c.info.run_id, c.data.tags.get(ERROR_TAG, c.info.status.lower()))
        for c in sorted(children, key=lambda c: c.info.start_time or 0)
        if c.info.status in bad
    ]
    finished = sum(c.info.status == "FINISHED" for c in children)
    finished += sum(k.startswith(f"{REUSED_TAG}.") for k in run.data.tags)
    return failed, finished


def end_parent(
    uri: str, parent: str, status: str, failed: list[tuple[str, str]], why: str = ""
) -> None:
    """Name the failed jobs in tags of the parent run, then end it with ``status``."""
    mlflow_client = client(uri)
    if failed:
        mlflow_client.set_tag(parent, FAILED_JOBS_TAG, _names(failed)[:5000])
    if why:
        mlflow_client.set_tag(parent, ABANDONED_TAG, why)
    mlflow_client.set_terminated(parent, status)


def _end_killed_parent(uri: str, path: Path) -> None:
    """A sweep restarted in the same folder: its killed predecessor's parent run ends as KILLED."""
    if not path.is_file():
        return
    previous = path.read_text().strip()
    mlflow_client = client(uri)
    try:
        run = mlflow_client.get_run(previous)
    except Exception:  # a parent id from another store: nothing to end here
        return
    if run.info.status == "RUNNING":
        mlflow_client.set_tag(previous, ABANDONED_TAG, "sweep killed; restarted in the same folder")
        mlflow_client.set_terminated(previous, "KILLED")
        log.info("MLflow parent run %s of the killed sweep marked KILLED", previous)


def print_sweep_report(uri: str, experiment: str, parent: str) -> None:
    """The gap table of a sweep: its child runs, the finished runs it reused, its failed jobs."""
    from xner.evaluation.render import render
    from xner.evaluation.report import build_table, save_report

    table, runs = build_table(uri, experiment, parent)  # children, reused and failed runs
    if not table.rows:
        print("no runs with test/f1 in this sweep; nothing to report")
        return
    print("\n" + render(table, "markdown"))
    save_report(table, runs, uri, experiment, parent)
    print(
        f"(saved as artifacts of the sweep's parent run {parent}; "
        f"`python evaluate.py report --parent {parent}` prints it again)"
    )
