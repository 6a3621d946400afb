"""Training steps the methods share: build, fit and load classifiers, train the source model."""

import logging
import tempfile
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from xner.config import group_config
from xner.data.conll import TaggedSentence
from xner.methods import settings
from xner.methods.context import RunContext
from xner.methods.settings import ModelSettings
from xner.pipeline.cache import fingerprint

log = logging.getLogger(__name__)
SOURCE_MODEL_STAGE = "source_model"
# Code in the source model's cache key (training loop, classifier, data module, trainer).
SOURCE_MODEL_CODE = (
    "xner.methods.training:Training.fit",
    "xner.methods.training:Training.new_classifier",
)
# translate-train's target model, trained on the silver data: cached, so the ensemble reuses it
TARGET_MODEL_STAGE = "target_model"
TARGET_MODEL_CODE = (*SOURCE_MODEL_CODE, "xner.methods.training:Training.target_model")
# Trainer settings that change what is shown, not what is trained: not part of cache keys.
COSMETIC = {
    "enable_progress_bar",
    "enable_model_summary",
    "progress_refresh_rate",
    "log_every_n_steps",
}


class Training:
    """The model roles of one job (`model`, `teacher`, `student`) and how to train them."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg

    def model_config(self, role: str = "model") -> dict:
        return settings.model_config(self.cfg, role)

    def trainer_config(self, role: str = "model") -> dict:
        return settings.trainer_config(self.cfg, role)

    def model_settings(self, role: str = "model") -> ModelSettings:
        return settings.model_settings(self.cfg, role)

    def fit(
        self,
        module: Any,
        train: Sequence[TaggedSentence],
        val: Sequence[TaggedSentence],
        soft: Sequence[np.ndarray] | None = None,
        prefix: str = "",
        role: str = "model",
        stage: str | None = "train",
    ) -> Any:
        """Train ``module`` with the settings of ``role``; with a validation set, the best
        ``val/f1`` weights are restored. The time is accounted as ``stage`` (None: the caller
        accounts it, e.g. a cached source model)."""
        from xner.models.datamodule import NERDataModule
        from xner.models.trainer import build_trainer

        dm = NERDataModule(
            self.model_settings(role),
            module.tokenizer,
            module.label_names,
            seed=int(self.cfg.seed),
            train=list(train),
            val=list(val) or None,
            train_soft=soft,
        )
        with tempfile.TemporaryDirectory(prefix="xner-ckpt-") as ckpt_dir:
            trainer = build_trainer(
                settings.trainer_settings(self.cfg, role),
                logger=self._logger(prefix),
                has_val=bool(val),
                checkpoint_dir=ckpt_dir if val else None,
                name=prefix or role,
            )
            with self.ctx.measured(stage) if stage else nullcontext():
                trainer.fit(module, datamodule=dm)
            best = getattr(trainer.checkpoint_callback, "best_model_path", "") if val else ""
            if best:
                _restore(module, best)
        return module

    def _logger(self, prefix: str) -> Any:
        """Lightning's metrics go to the job's run (``prefix`` before each name), if any."""
        if self.ctx.job is None:
            return None
        from xner.models.trainer import MetricsLogger

        return MetricsLogger(
            experiment_name=str(self.cfg.tracking.experiment),
            tracking_uri=self.ctx.job.uri,
            run_id=self.ctx.job.run_id,
            prefix=prefix,
        )

    def new_classifier(
        self,
        label_names: Sequence[str] | None = None,
        student: bool = False,
        role: str | None = None,
        checkpoint: str | None = None,
        **distillation: Any,
    ) -> Any:
        """A token classifier (or distillation student, from the ``student`` node) on the
        pretrained checkpoint of a model role, or on ``checkpoint`` (trained weights); labels
        default to the source labels; ``distillation``: the student's loss and temperature."""
        from xner.models.classifier import TokenClassifier
        from xner.models.distill import DistillationModule

        own = self.model_settings(role or ("student" if student else "model"))
        labels = label_names or self.ctx.label_names()
        if student:
            return DistillationModule(own, labels, checkpoint=checkpoint, **distillation)
        return TokenClassifier(own, labels, checkpoint=checkpoint)

    def load_classifier(self, checkpoint: str, role: str = "model") -> Any:
        """A trained classifier with the labels stored in its checkpoint (windows of ``role``)."""
        from xner.models.classifier import TokenClassifier

        module = TokenClassifier(self.model_settings(role), None, checkpoint=checkpoint)
        return module.to(self.device())

    def device(self) -> str:
        import torch

        accelerator = str(self.cfg.trainer.get("accelerator", "auto"))
        if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
            return "cuda"
        return "cpu"

    def source_checkpoint(self, role: str = "model", lang: str | None = None) -> str:
        """The source model of ``role`` on the source language ``lang``: the node's
        ``source_checkpoint`` or one trained once and cached (one per language and model)."""
        given = self.model_settings(role).source_checkpoint
        if given:
            return str(given)
        from xner.models.trainer import seed_everything

        ctx = self.ctx
        lang = lang or ctx.source_lang
        train, val = ctx.source_split("train", lang), ctx.source_dev(lang)
        prefix = "source_model" if lang == ctx.source_lang else f"source_model_{lang}"

        def train_source(folder: Path) -> None:
            seed_everything(int(self.cfg.seed))
            module = self.new_classifier(label_names=ctx.label_names(lang), role=role)
            module = self.fit(module, train, val, prefix=prefix, role=role, stage=None)
            module.save_hf(folder)

        folder, _ = ctx.cache.get_or_build_folder(
            SOURCE_MODEL_STAGE,
            self._source_model_key(role),
            [fingerprint(train), fingerprint(val)],
            train_source,
            code=SOURCE_MODEL_CODE,
        )
        return str(folder)

    def target_model(self, train: Sequence[TaggedSentence], val: Sequence[TaggedSentence]) -> str:
        """translate-train's model (role ``model``) trained on the silver sentences ``train``,
        selected on ``val``: trained once per data, labels, model, trainer and seed and cached
        (``target_model``), so an ensemble of the same config reuses it; its training curves
        are logged by the job that trains it."""
        from xner.models.trainer import seed_everything

        labels = self.ctx.label_names()

        def train_target(folder: Path) -> None:
            seed_everything(int(self.cfg.seed))
            module = self.new_classifier(label_names=labels)
            module = self.fit(module, train, val, stage=None)
            module.save_hf(folder)

        folder, _ = self.ctx.cache.get_or_build_folder(
            TARGET_MODEL_STAGE,
            {**self._model_key("model"), "labels": list(labels)},
            [fingerprint(train), fingerprint(val)],
            train_target,
            code=TARGET_MODEL_CODE,
        )
        return str(folder)

    def _model_key(self, role: str) -> dict:
        """What a trained model depends on besides its data: model, trainer and seed."""
        model = self.model_config(role)
        skip = ("source_checkpoint", "trainer", "_target_")
        return {
            "model": {k: v for k, v in model.items() if k not in skip},
            "trainer": {k: v for k, v in self.trainer_config(role).items() if k not in COSMETIC},
            "seed": int(self.cfg.seed),
        }

    def _source_model_key(self, role: str) -> dict:
        """What a source model depends on besides its data: model, trainer, seed, corpus."""
        return {**self._model_key(role), "source_data": group_config(self.cfg.source_data)}


def _restore(module: Any, checkpoint: str) -> None:
    """Load the weights of a Lightning checkpoint into ``module``."""
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    module.load_state_dict(state)
    log.info("restored the best validation checkpoint %s", Path(checkpoint).name)
