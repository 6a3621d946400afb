"""Hydra callbacks: a sweep is one MLflow parent run, created before any job starts."""

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from xner.cache import StageCache
from xner.errors import XnerError
from xner.tracking import (
    ABANDONED_TAG,
    PARENT_ID_FILE,
    client,
    ensure_experiment,
    start_parent_run,
    tracking_uri,
)

log = logging.getLogger(__name__)


class MLflowSweepCallback(Callback):
    """Creates the store and the parent run once, so parallel jobs never race on a new database;
    at the end of the sweep prints the gap table of its runs (saved to the parent run) and the
    stage cache's size."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        uri = tracking_uri(config.tracking.get("uri"))
        experiment = config.tracking.get("experiment", "xner")
        ensure_experiment(uri, experiment, config.tracking.get("artifact_location"))
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        _end_killed_parent(uri, sweep_dir / PARENT_ID_FILE)
        # unresolved: an override may hold an interpolation only a job can resolve (${hydra:...})
        overrides = " ".join(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))
        parent = start_parent_run(
            uri, experiment, f"sweep {overrides}".strip(), {"xner.sweep_dir": str(sweep_dir)}
        )
        (sweep_dir / PARENT_ID_FILE).write_text(parent)
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
        mlflow_client = client(uri)
        mlflow_client.set_terminated(parent, "FINISHED")
        try:
            print_sweep_report(uri, config.tracking.get("experiment", "xner"), parent)
        except XnerError as err:
            print(f"no gap table for this sweep: {err}")


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
    """The gap table of a sweep: its child runs plus the finished runs it reused."""
    from xner.report import build_table, render, save_report

    table, runs = build_table(uri, experiment, parent)  # children and the runs it reused
    if not table.rows:
        print("no finished runs with test/f1 in this sweep; nothing to report")
        return
    print("\n" + render(table, "markdown"))
    save_report(table, runs, uri, experiment, parent)
    print(
        f"(saved as artifacts of the sweep's parent run {parent}; "
        f"`python evaluate.py report` prints it again)"
    )
