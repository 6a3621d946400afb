"""One plain log line per training epoch, for runs without a progress bar (the quickstart)."""

import logging
import math
import time
from typing import Any

import pytorch_lightning as pl

log = logging.getLogger(__name__)


class EpochLines(pl.Callback):
    """Log ``<name> epoch k/n: train loss, val F1, seconds`` at each epoch's end, so a long
    fit is not minutes of silence when ``trainer.enable_progress_bar`` is false."""

    def __init__(self, name: str = "training") -> None:
        self.name = name
        self._start = 0.0
        self._losses: list[float] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start, self._losses = time.monotonic(), []

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, i: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self._losses.append(float(loss))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        log.info(epoch_line(self.name, trainer, self._losses, time.monotonic() - self._start))


def epoch_line(name: str, trainer: pl.Trainer, losses: list[float], seconds: float) -> str:
    """The epoch's line: its number of ``max_epochs``, mean train loss, val F1 if validated."""
    total = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else "?"
    parts = [f"{name} epoch {trainer.current_epoch + 1}/{total}"]
    finite = [x for x in losses if math.isfinite(x)]
    if finite:
        parts.append(f"train loss {sum(finite) / len(finite):.4f}")
    f1 = trainer.callback_metrics.get("val/f1")
    if f1 is not None:
        parts.append(f"val F1 {float(f1):.4f}")
    parts.append(f"{seconds:.1f} s")
    return ", ".join(parts)
