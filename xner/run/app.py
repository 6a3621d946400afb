"""What every Hydra app does around its work: checks, one MLflow run, one-line errors."""

import functools
import logging
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from xner.config import check_targets
from xner.data.sources import check_root
from xner.errors import ConfigError, XnerError
from xner.method_kind import source_langs
from xner.paths import safe_name
from xner.run import signals
from xner.tracking.abandoned import find_finished_run, mark_abandoned_runs
from xner.tracking.connection import TrackingError, client, guarded, tracking_failure, tracking_uri
from xner.tracking.job_tags import config_hash
from xner.tracking.names import COMPLETE_TAG, ERROR_TAG, PARENT_ID_FILE, REUSED_TAG
from xner.tracking.runs import JobRun, start_job_run

log = logging.getLogger(__name__)
Body = Callable[[DictConfig, JobRun], Mapping[str, float]]


def _parent_run_id(hc: Any) -> str | None:
    if hc.mode != RunMode.MULTIRUN:
        return None
    path = Path(hc.sweep.dir) / PARENT_ID_FILE
    if not path.is_file():  # Hydra only warns when a callback fails: do not run without a parent
        raise ConfigError(
            f"no MLflow parent run for the sweep in {hc.sweep.dir}: "
            "MLflowSweepCallback.on_multirun_start failed (see the warning above)"
        )
    return path.read_text().strip()


# Library warnings about choices xner makes on purpose (exact message starts, not categories):
# Lightning's SLURM hint (xner's SLURM jobs run without srun), torch's LeafSpec deprecation
# raised inside Lightning, and the logging interval of a run shorter than 50 steps.
_NOISE = (
    r"The `srun` command is available on your system but is not used",
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    r"The number of training batches \(\d+\) is smaller than the logging interval",
)


def quiet_libraries() -> None:
    """Keep the job's own progress and results readable: silence library chatter."""
    import os
    import warnings

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for message in _NOISE:  # hints a user cannot act on: xner chooses these settings itself
        warnings.filterwarnings("ignore", message=message)
    for name in (
        "pytorch_lightning",
        "pytorch_lightning.utilities.rank_zero",
        "lightning_fabric",
        "mlflow",
        "alembic",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def validate(cfg: DictConfig) -> None:
    """Refuse unsafe names and foreign `_target_`s before any work starts."""
    safe_name(cfg.lang, "language code")
    if cfg.get("source_lang"):
        safe_name(cfg.source_lang, "source language code")
    for lang in source_langs(cfg) if cfg.get("source_langs") else []:
        safe_name(lang, "source language code (source_langs)")
    plain = OmegaConf.to_container(cfg, resolve=False)
    if isinstance(plain.get("model"), dict) and plain["model"].get("name") == "${model.name}":
        raise ConfigError("model=same only fits model@teacher / model@student: choose a model")
    check_targets({k: v for k, v in _targets_resolved(cfg, plain).items() if k != "hydra"})
    for key in ("data", "source_data"):
        node = cfg.get(key)
        if isinstance(node, DictConfig):
            name = str(node.get("name") or key)
            safe_name(name, f"{key}.name")
            check_root(node.get("root"), name, key)


def _targets_resolved(cfg: DictConfig, plain: dict, where: str = "") -> dict:
    """``plain`` with each interpolated `_target_` of a mapping resolved (conf/model/same.yaml's
    ``${model._target_}``), so the target checked is the one that is built."""
    for key, value in plain.items():
        path = f"{where}.{key}" if where else str(key)
        if key == "_target_" and isinstance(value, str) and "${" in value:
            plain[key] = OmegaConf.select(cfg, path)
        elif isinstance(value, dict) and key != "hydra":
            _targets_resolved(cfg, value, path)
    return plain


def run_job(cfg: DictConfig, app: str, body: Body) -> Mapping[str, float] | None:
    """Run ``body`` inside the job's MLflow run; a finished identical job is not run again."""
    quiet_libraries()
    hc = HydraConfig.get()
    with _slurm_signals():
        with no_folder_if_refused(hc):
            go, parent = _before_run(cfg, hc)
        if not go:
            return None
        choices = {k: str(v) for k, v in hc.runtime.choices.items() if not k.startswith("hydra")}
        with signals.held() as pending:  # a signal waits until the run is started and known
            job = start_job_run(cfg, app, list(hc.overrides.task), choices, parent)
        return _run_body(cfg, job, body, check_first=bool(parent), pending=pending)


def _slurm_signals() -> AbstractContextManager[None]:
    """A SLURM task takes SLURM's signals for its whole job, from before its run exists until
    the run has ended: left to submitit, a time-limit signal during the checks or the run's
    ending would leave the run FAILED with submitit's error instead of KILLED with the reason."""
    return signals.installed(signals.SLURM_TASK) if signals.slurm_task() else nullcontext()


def _before_run(cfg: DictConfig, hc: Any) -> tuple[bool, str | None]:
    """The checks and store lookups before the job's run: whether to run it (an identical job
    may have finished already) and the sweep's parent run."""
    validate(cfg)
    parent = _parent_run_id(hc)  # before any job touches the store
    if _left_out(cfg):
        return False, parent
    uri = tracking_uri(cfg.tracking.get("uri"))
    key = config_hash(OmegaConf.to_container(cfg, resolve=True))
    if _finished_before(cfg, hc, uri, key, parent):
        return False, parent
    if not parent:  # a single run is refused before it has a run; a sweep's job fails on its run
        check_before_run(cfg)
    with guarded(uri, "looking for runs of this job left by killed processes"):
        mark_abandoned_runs(uri, cfg.tracking.experiment, key)
    return True, parent


def _left_out(cfg: DictConfig) -> bool:
    """A job its sweep leaves out (``skip_unavailable``: its data or translator is missing, said
    before the sweep began): no run, no error."""
    from xner.run.preflight import left_out

    skipped = left_out(cfg) if _in_multirun() else None
    if skipped is not None:
        log.info("left out: %s", "; ".join(skipped.reasons))
    return skipped is not None


def _finished_before(cfg: DictConfig, hc: Any, uri: str, key: str, parent: str | None) -> bool:
    """Whether a run of this very job (config hash ``key``) already finished, when
    ``tracking.skip_finished`` asks (auto: in a sweep); a sweep's parent records the reuse."""
    skip = cfg.tracking.get("skip_finished", "auto")
    if skip == "auto":
        skip = hc.mode == RunMode.MULTIRUN
    if not skip:
        return False
    with guarded(uri, "looking for a finished run of this job"):
        done = find_finished_run(uri, cfg.tracking.experiment, key)
    if not done:
        return False
    log.info("skipping: run %s already finished this job (tracking.skip_finished)", done)
    if parent:
        client(uri).set_tag(parent, f"{REUSED_TAG}.{hc.job.num}", done)
    print(f"already finished as MLflow run {done}; set tracking.skip_finished=false to redo")
    return True


def _run_body(
    cfg: DictConfig, job: JobRun, body: Body, check_first: bool, pending: signals.Held
) -> Mapping[str, float]:
    """``body`` in the job's started run (the checks first when ``check_first``; a signal held
    while the run started, ``pending``, before anything): FINISHED and complete when it returns;
    KILLED when a signal ends it, FAILED with its reason otherwise."""
    try:
        pending.raise_pending()
        if check_first:
            check_before_run(cfg)
        metrics = body(cfg, job)
        job.set_tags({COMPLETE_TAG: "true"})  # every metric and artifact is logged
        job.finish("FINISHED")
    except TrackingError:
        log.warning("run %s stays RUNNING (store unreachable); a rerun marks it KILLED", job.run_id)
        raise
    except BaseException as err:
        signum = signals.signal_of(err)  # Lightning makes SystemExit(1) of a Ctrl-C in fit
        if signum is not None:
            signals.ignore()
            _finish_failed(job, err, signals.why(signum))
            raise signals.Interrupted(signum, job.run_id) from None
        _finish_failed(job, err)
        if _from_mlflow(err):
            raise tracking_failure(job.uri, "the job ran", err, job.run_id) from err
        raise
    return metrics


@contextmanager
def no_folder_if_refused(hc: Any) -> Iterator[None]:
    """A single run refused before its MLflow run exists leaves no Hydra run folder behind:
    the folder would hold only Hydra's own files (``.hydra/``, the job's log)."""
    try:
        yield
    except XnerError:
        if hc.mode == RunMode.RUN:
            remove_hydra_folder(Path(hc.runtime.output_dir))
        raise


def remove_hydra_folder(folder: Path) -> None:
    """Remove ``folder`` when it holds nothing but Hydra's files, and its parent once empty."""
    if not folder.is_dir():
        return
    if any(p.name != ".hydra" and p.suffix != ".log" for p in folder.iterdir()):
        return
    shutil.rmtree(folder, ignore_errors=True)
    with suppress(OSError):  # the date folder, when this run was its only one
        folder.parent.rmdir()


def _in_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def _from_mlflow(err: BaseException) -> bool:
    """Whether an error (or its cause) was raised by MLflow, e.g. through Lightning's logger."""
    from mlflow.exceptions import MlflowException

    while err is not None:
        if isinstance(err, MlflowException):
            return True
        err = err.__cause__
    return False


def check_before_run(cfg: DictConfig) -> None:
    """The checks that need no data (:mod:`xner.run.preflight`): every reason in one line."""
    from xner.run.preflight import problems

    found = problems(cfg)
    if found:
        raise ConfigError("; ".join(found))


def reason(err: BaseException) -> str:
    """One line saying why a job failed, for its run and the sweep's report."""
    text = str(err).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(err, XnerError):
        return first or type(err).__name__
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def _finish_failed(job: JobRun, err: BaseException, interrupted: str = "") -> None:
    """Mark the run FAILED (KILLED when ``interrupted``, the why) with its reason, without hiding
    the job's own error if the store fails too."""
    status = "KILLED" if interrupted else "FAILED"
    try:
        job.set_tags({ERROR_TAG: (interrupted or reason(err))[:5000]})
        job.finish(status)
    except TrackingError as store_err:
        log.warning("could not mark run %s %s: %s", job.run_id, status, store_err)


def one_line_errors(main: Callable[..., Any], failures: list[str]) -> Callable[..., Any]:
    """``main`` whose user errors end the program with one line on stderr and exit status 2,
    no traceback.

    In a sweep a failed job does not end the sweep: its run is already FAILED with the reason
    (tag ``xner.error``), the line names the job, the job's number is added to ``failures``
    (the entry point's exit status) and the other jobs go on.
    """

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        multirun = _in_multirun()
        try:
            return main(*args, **kwargs)
        except signals.Interrupted as err:
            if not (multirun and signals.slurm_task()):
                raise
            number = HydraConfig.get().job.num  # SLURM stopped this task only: the sweep goes on
            ended = f"run {err.run_id} ended KILLED" if err.run_id else "stopped before its run"
            print(f"error: job {number}: {ended}", file=sys.stderr)
            failures.append(str(number))
        except XnerError as err:
            job = f"job {HydraConfig.get().job.num}: " if multirun else ""
            print(f"error: {job}{err}", file=sys.stderr)
            if not multirun or isinstance(err, TrackingError):  # no store: the sweep stops
                sys.exit(2)
            failures.append(str(HydraConfig.get().job.num))
        except Exception as err:
            if not multirun:
                raise
            log.exception("job %s failed: %s", HydraConfig.get().job.num, reason(err))
            failures.append(str(HydraConfig.get().job.num))
        return None

    return wrapper
