"""What every Hydra app does around its work: checks, one MLflow run, one-line errors."""

import functools
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from xner.config import check_targets
from xner.errors import XnerError
from xner.paths import safe_name
from xner.tracking import (
    PARENT_ID_FILE,
    REUSED_TAG,
    JobRun,
    client,
    config_hash,
    find_finished_run,
    start_job_run,
    tracking_uri,
)

log = logging.getLogger(__name__)
Body = Callable[[DictConfig, JobRun], Mapping[str, float]]


def _parent_run_id(hc: Any) -> str | None:
    if hc.mode != RunMode.MULTIRUN:
        return None
    path = Path(hc.sweep.dir) / PARENT_ID_FILE
    return path.read_text().strip() if path.is_file() else None


def validate(cfg: DictConfig) -> None:
    """Refuse unsafe names and foreign `_target_`s before any work starts."""
    safe_name(cfg.lang, "language code")
    if cfg.get("source_lang"):
        safe_name(cfg.source_lang, "source language code")
    plain = OmegaConf.to_container(cfg, resolve=False)
    check_targets({k: v for k, v in plain.items() if k != "hydra"})


def run_job(cfg: DictConfig, app: str, body: Body) -> Mapping[str, float] | None:
    """Run ``body`` inside the job's MLflow run; a finished identical job is not run again."""
    hc = HydraConfig.get()
    choices = {k: str(v) for k, v in hc.runtime.choices.items() if not k.startswith("hydra")}
    overrides = list(hc.overrides.task)
    validate(cfg)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    skip = cfg.tracking.get("skip_finished", "auto")
    if skip == "auto":
        skip = hc.mode == RunMode.MULTIRUN
    if skip:
        uri = tracking_uri(cfg.tracking.get("uri"))
        done = find_finished_run(uri, cfg.tracking.experiment, config_hash(resolved))
        if done:
            log.info("skipping: run %s already finished this job (tracking.skip_finished)", done)
            parent = _parent_run_id(hc)
            if parent:
                client(uri).set_tag(parent, f"{REUSED_TAG}.{hc.job.num}", done)
            print(
                f"already finished as MLflow run {done}; set tracking.skip_finished=false to redo"
            )
            return None
    job = start_job_run(cfg, app, overrides, choices, _parent_run_id(hc))
    try:
        metrics = body(cfg, job)
    except BaseException:
        job.finish("FAILED")
        raise
    job.finish("FINISHED")
    return metrics


def one_line_errors(main: Callable[..., Any]) -> Callable[..., Any]:
    """User errors end the program with one line on stderr and exit status 2, no traceback."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return main(*args, **kwargs)
        except XnerError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)

    return wrapper
