"""Hydra callbacks: a sweep is one MLflow parent run, created before any job starts."""

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from xner.tracking import (
    PARENT_ID_FILE,
    client,
    ensure_experiment,
    start_parent_run,
    tracking_uri,
)

log = logging.getLogger(__name__)


class MLflowSweepCallback(Callback):
    """Creates the store and the parent run once, so parallel jobs never race on a new database."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        uri = tracking_uri(config.tracking.get("uri"))
        experiment = config.tracking.get("experiment", "xner")
        ensure_experiment(uri, experiment, config.tracking.get("artifact_location"))
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        overrides = " ".join(config.hydra.overrides.task)
        parent = start_parent_run(
            uri, experiment, f"sweep {overrides}".strip(), {"xner.sweep_dir": str(sweep_dir)}
        )
        (sweep_dir / PARENT_ID_FILE).write_text(parent)
        log.info("MLflow parent run %s for sweep in %s", parent, sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        path = Path(config.hydra.sweep.dir) / PARENT_ID_FILE
        if path.is_file():
            client(tracking_uri(config.tracking.get("uri"))).set_terminated(
                path.read_text().strip(), "FINISHED"
            )
