"""Everything a method needs for one job: config, data, cache, MLflow run, shared training steps."""

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from xner.cache import StageCache, fingerprint
from xner.config import build, group_config
from xner.data.conll import TaggedSentence, format_conll, write_conll
from xner.data.tags import filter_labels, iob2_tag_names, label_set
from xner.metrics import metric_dict, score
from xner.tracking import JobRun, update_environment

log = logging.getLogger(__name__)
SOURCE_MODEL_STAGE = "source_model"
# Trainer settings that change what is shown, not what is trained: not part of cache keys.
COSMETIC = {
    "enable_progress_bar",
    "enable_model_summary",
    "progress_refresh_rate",
    "log_every_n_steps",
}


@dataclass
class RunContext:
    cfg: DictConfig
    job: JobRun | None
    cache: StageCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = StageCache(self.cfg.cache.dir, bool(self.cfg.cache.enabled))
        self.fingerprints: dict[str, str] = {}
        self._logged_inputs: set[tuple[str, str, str]] = set()

    @cached_property
    def target(self) -> Any:
        return build(self.cfg.data)

    @cached_property
    def source(self) -> Any:
        return build(self.cfg.source_data)

    @property
    def lang(self) -> str:
        return str(self.cfg.lang)

    @property
    def source_lang(self) -> str:
        return str(self.cfg.source_lang)

    @cached_property
    def unshared_labels(self) -> list[str]:
        """Entity types only one side has (MISC only in the source, DATE only in MasakhaNER 2.0):
        ignored on both sides, read as O, so no method is scored on a type it cannot know.

        Decided from the label inventories of the source training split and the target test
        split; a supervised run on target data alone keeps every type.
        """
        from xner.preflight import method_of

        if method_of(self.cfg) == "supervised" or self.cfg.get("source_data") is None:
            return []
        source = label_set(s.tags for s in self.source.split(self.source_lang, "train"))
        target = label_set(s.tags for s in self.target.split(self.lang, "test"))
        unshared = sorted(set(source) ^ set(target))
        if unshared:
            log.info(
                "label types ignored on both sides (only one side has them): %s "
                "(source %s: %s; target %s: %s)",
                ", ".join(unshared), self.source_lang, ", ".join(source), self.lang,
                ", ".join(target),
            )  # fmt: skip
            if self.job is not None:
                self.job.set_tags({"labels.ignored": ",".join(unshared)})
        return unshared

    def _split(self, dataset: Any, lang: str, split: str, role: str) -> list[TaggedSentence]:
        sentences = dataset.split(lang, split)
        if self.unshared_labels:
            sentences = [
                TaggedSentence(
                    list(s.words), filter_labels(s.tags, self.unshared_labels), s.columns
                )
                for s in sentences
            ]
        self.fingerprints[f"{role}.{lang}.{split}"] = fingerprint(sentences)
        self._log_input(dataset, lang, split, role, sentences)
        return sentences

    def _log_input(
        self, dataset: Any, lang: str, split: str, role: str, sentences: list[TaggedSentence]
    ) -> None:
        """Each split a job reads is an MLflow dataset input (name, language, split, digest)."""
        if self.job is None or (role, lang, split) in self._logged_inputs:
            return
        self._logged_inputs.add((role, lang, split))
        root = getattr(dataset, "root", None)
        self.job.log_dataset(
            str(getattr(dataset, "name", role)),
            lang,
            split,
            role,
            self.fingerprints[f"{role}.{lang}.{split}"],
            len(sentences),
            str(root or getattr(dataset, "hf_id", "") or ""),
        )

    def target_split(self, split: str) -> list[TaggedSentence]:
        return self._split(self.target, self.lang, split, "data")

    def source_split(self, split: str) -> list[TaggedSentence]:
        return self._split(self.source, self.source_lang, split, "source_data")

    def source_dev(self) -> list[TaggedSentence]:
        """Validation data for zero-shot methods: the source dev set (never target labels)."""
        if self.source.has_split(self.source_lang, "dev"):
            return self.source_split("dev")
        return []

    def label_names(self) -> list[str]:
        """The classifier's labels: those of the source training data (after label_drop)."""
        return iob2_tag_names(label_set(s.tags for s in self.source_split("train")))

    def model_config(self) -> dict:
        return group_config(self.cfg.model)

    # --- training -------------------------------------------------------------------------

    def fit(
        self,
        module: Any,
        train: Sequence[TaggedSentence],
        val: Sequence[TaggedSentence],
        soft: Sequence[np.ndarray] | None = None,
        prefix: str = "",
    ) -> Any:
        """Train ``module``; with a validation set, the best ``val/f1`` weights are restored."""
        import torch
        from pytorch_lightning.loggers import MLFlowLogger

        from xner.models.datamodule import NERDataModule
        from xner.models.trainer import build_trainer

        dm = NERDataModule.from_config(
            self.cfg.model,
            module.tokenizer,
            module.label_names,
            seed=int(self.cfg.seed),
            train=list(train),
            val=list(val) or None,
            train_soft=soft,
        )
        logger = None
        if self.job is not None:
            logger = MLFlowLogger(
                experiment_name=str(self.cfg.tracking.experiment),
                tracking_uri=self.job.uri,
                run_id=self.job.run_id,
                prefix=prefix,
            )
        with tempfile.TemporaryDirectory(prefix="xner-ckpt-") as ckpt_dir:
            trainer = build_trainer(
                group_config(self.cfg.trainer),
                logger=logger,
                has_val=bool(val),
                checkpoint_dir=ckpt_dir if val else None,
            )
            trainer.fit(module, datamodule=dm)
            best = getattr(trainer.checkpoint_callback, "best_model_path", "") if val else ""
            if best:
                state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
                module.load_state_dict(state)
                log.info("restored the best validation checkpoint %s", Path(best).name)
        return module

    def new_classifier(
        self,
        checkpoint: str | None = None,
        label_names: Sequence[str] | None = None,
        student: bool = False,
    ) -> Any:
        """A token classifier (or distillation student) from the model config; labels default
        to the source labels, ``checkpoint`` to the model's pretrained checkpoint."""
        from xner.models.classifier import TokenClassifier
        from xner.models.distill import DistillationModule

        cls = DistillationModule if student else TokenClassifier
        overrides = {"checkpoint": checkpoint} if checkpoint else {}
        return cls.from_config(self.cfg.model, label_names or self.label_names(), **overrides)

    def load_classifier(self, checkpoint: str) -> Any:
        """A trained classifier with the labels stored in its checkpoint."""
        from xner.models.classifier import TokenClassifier

        module = TokenClassifier.from_config(self.cfg.model, None, checkpoint=checkpoint)
        return module.to(self.device())

    def device(self) -> str:
        import torch

        accelerator = str(self.cfg.trainer.get("accelerator", "auto"))
        if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
            return "cuda"
        return "cpu"

    def source_checkpoint(self) -> str:
        """The source model: ``model.source_checkpoint`` or one trained once and cached."""
        given = self.cfg.model.get("source_checkpoint")
        if given:
            return str(given)
        from xner.models.trainer import seed_everything

        train = self.source_split("train")
        val = self.source_dev()
        config = {
            "model": {k: v for k, v in self.model_config().items() if k != "source_checkpoint"},
            "trainer": {
                k: v for k, v in group_config(self.cfg.trainer).items() if k not in COSMETIC
            },
            "seed": int(self.cfg.seed),
            "source_data": group_config(self.cfg.source_data),
        }
        inputs = [fingerprint(train), fingerprint(val)]

        def train_source(folder: Path) -> None:
            seed_everything(int(self.cfg.seed))
            module = self.fit(self.new_classifier(), train, val, prefix="source_model")
            module.save_hf(folder)

        folder, _ = self.cache.get_or_build_folder(SOURCE_MODEL_STAGE, config, inputs, train_source)
        return str(folder)

    # --- results --------------------------------------------------------------------------

    def report(
        self,
        predicted: Sequence[Sequence[str]],
        gold: Sequence[TaggedSentence],
        split: str = "test",
        extra: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Score, log metrics and predictions, write ``out``; the same names for every method."""
        ignore = list(self.cfg.get("ignore_labels") or [])
        scores = score(predicted, [s.tags for s in gold], ignore=ignore)
        metrics = {**metric_dict(scores, split), **(extra or {})}
        sentences = [
            TaggedSentence(list(s.words), list(tags))
            for s, tags in zip(gold, predicted, strict=True)
        ]
        if self.cfg.get("out"):
            write_conll(self.cfg.out, sentences)
        if self.job is not None:
            self.job.log_metrics(metrics)
            self.job.log_text(format_conll(sentences), f"predictions/{split}.conll")
            self.job.log_text(classification_report(scores), f"reports/{split}_report.txt")
            update_environment(self.job, self.fingerprints)
        return metrics


def classification_report(scores: Mapping[str, Any]) -> str:
    lines = [f"{'type':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    rows = [*sorted(scores.get("per_type", {}).items()), ("micro", scores)]
    for name, row in rows:
        lines.append(
            f"{name:<10}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}"
            f"{int(row.get('support', 0)):>10d}"
        )
    return "\n".join(lines) + "\n"
