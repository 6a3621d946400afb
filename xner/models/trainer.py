"""A Lightning Trainer from ``conf/trainer/*.yaml`` plus the callbacks every method uses."""

import os
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import (
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    TQDMProgressBar,
)
from pytorch_lightning.loggers import MLFlowLogger

from xner.models.progress import EpochLines
from xner.models.settings import TrainerSettings


class MetricsLogger(MLFlowLogger):
    """MLflow logging of metrics only: a job's params are its resolved config, and the modules
    one job trains (teachers, student) would log clashing hyperparameters under the same names.

    The job owns its run's end (:func:`xner.run.app.run_job`): Lightning's logger would mark it
    FINISHED when ``fit`` ends, before the test metrics and predictions are logged."""

    def log_hyperparams(self, params, *args, **kwargs) -> None:
        return None

    def finalize(self, status: str = "success") -> None:
        return None


def seed_everything(seed: int) -> int:
    """Seed python, numpy and torch (and dataloader workers) for repeatable runs."""
    return pl.seed_everything(int(seed), workers=True, verbose=False)


def build_callbacks(
    has_val: bool,
    checkpoint_dir: str | Path | None,
    patience: int | None = 3,
    progress: bool = True,
    refresh_rate: int = 20,
    lr_monitor: bool = True,
    name: str = "training",
) -> list[pl.Callback]:
    """Checkpoint on ``val/f1`` (max) and early stopping when there is a validation set,
    else keep the last checkpoint; a progress bar, or without one a log line per epoch
    (``name`` starts it); the learning-rate monitor."""
    callbacks: list[pl.Callback] = []
    if checkpoint_dir is not None:
        if has_val:
            callbacks.append(
                ModelCheckpoint(
                    dirpath=checkpoint_dir,
                    filename="best",
                    monitor="val/f1",
                    mode="max",
                    save_top_k=1,
                    auto_insert_metric_name=False,
                    save_weights_only=True,  # only the weights are restored; no optimizer state
                )
            )
        else:
            callbacks.append(ModelCheckpoint(dirpath=checkpoint_dir, save_top_k=0, save_last=True))
    if has_val and patience is not None and patience > 0:
        callbacks.append(EarlyStopping(monitor="val/f1", mode="max", patience=int(patience)))
    if progress:
        callbacks.append(TQDMProgressBar(refresh_rate=max(1, int(refresh_rate))))
    else:
        callbacks.append(EpochLines(name))
    if lr_monitor:
        callbacks.append(LearningRateMonitor(logging_interval="step"))
    return callbacks


def build_trainer(
    settings: TrainerSettings,
    logger=None,
    has_val: bool = False,
    checkpoint_dir: str | Path | None = None,
    callbacks: list[pl.Callback] | None = None,
    name: str = "training",
) -> pl.Trainer:
    """Trainer from the settings' Lightning arguments and xner's own (patience, refresh rate,
    checkpoint folder). Without a checkpoint folder (``settings.checkpoint_dir``, else
    ``checkpoint_dir``) no checkpoints are written; ``name`` (the model's role) starts the epoch
    lines logged without a progress bar."""
    cfg = dict(settings.lightning)
    patience, refresh = settings.patience, settings.progress_refresh_rate
    checkpoint_dir = settings.checkpoint_dir or checkpoint_dir
    progress = bool(cfg.get("enable_progress_bar", True))
    if cfg.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if not has_val:
        cfg["num_sanity_val_steps"] = 0
        cfg["limit_val_batches"] = 0
    if checkpoint_dir is None:
        cfg["enable_checkpointing"] = False
    elif cfg.get("enable_checkpointing") is False:
        checkpoint_dir = None
    own = build_callbacks(
        has_val,
        checkpoint_dir,
        patience,
        progress,
        refresh,
        lr_monitor=logger not in (None, False),
        name=name,
    )
    return pl.Trainer(
        **cfg,
        logger=logger if logger is not None else False,
        callbacks=[*own, *(callbacks or [])],
    )
