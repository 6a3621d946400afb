"""Everything a method needs for one job: config, data, cache, MLflow run, shared training steps."""

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from xner.config import build, group_config
from xner.data.conll import TaggedSentence, format_conll, write_conll
from xner.data.tags import filter_labels, iob2_tag_names, label_set
from xner.errors import ConfigError
from xner.evaluation.counts import counts_artifact, counts_record
from xner.evaluation.errors import error_table, format_errors
from xner.evaluation.metrics import (
    DEFAULT_MODE,
    MODES,
    count,
    from_counts,
    metric_dict,
    sentences_digest,
)
from xner.pipeline.cache import StageCache, fingerprint
from xner.tracking.names import SCORE_MODE_TAG
from xner.tracking.runs import JobRun, update_environment

log = logging.getLogger(__name__)
SOURCE_MODEL_STAGE = "source_model"
# Code in the source model's cache key (training loop, classifier, data module, trainer).
SOURCE_MODEL_CODE = (
    "xner.methods.context:RunContext.fit",
    "xner.methods.context:RunContext.new_classifier",
)
# Model nodes a job may train or load: `model` (the source model of every method) and the two
# roles of teacher-student learning, which follow `model` unless chosen (conf/model/same.yaml).
ROLES = ("model", "teacher", "student")
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
        mode = self.cfg.get("score_mode") or DEFAULT_MODE
        if mode not in MODES:
            raise ConfigError(f"score_mode={mode!r}: choose one of {', '.join(MODES)}")
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

    @property
    def source_langs(self) -> list[str]:
        """Languages of the labelled source data: ``source_langs``, else ``[source_lang]``."""
        langs = self.cfg.get("source_langs")
        if not langs:
            return [self.source_lang]
        return [str(langs)] if isinstance(langs, str) else [str(x) for x in langs]

    @cached_property
    def unshared_labels(self) -> list[str]:
        """Entity types only one side has (MISC only in the source, DATE only in MasakhaNER 2.0):
        ignored on both sides, read as O, so no method is scored on a type it cannot know.

        Decided from the label inventories of the source training split and the target test
        split; a supervised run on target data alone keeps every type.
        """
        from xner.run.preflight import method_of

        if method_of(self.cfg) == "supervised" or self.cfg.get("source_data") is None:
            return []
        langs = (
            self.source_langs if method_of(self.cfg) == "teacher_student" else [self.source_lang]
        )
        found = [self._source_labels(lang) for lang in langs]
        if any(labels is None for labels in found):
            return []  # a source without labelled text to compare with: keep every type
        source = sorted({label for labels in found for label in labels})  # type: ignore[union-attr]
        target = label_set(s.tags for s in self.target.split(self.lang, "test"))
        unshared = sorted(set(source) ^ set(target))
        if unshared:
            log.info(
                "label types ignored on both sides (only one side has them): %s "
                "(source %s: %s; target %s: %s)",
                ", ".join(unshared), ",".join(langs), ", ".join(source), self.lang,
                ", ".join(target),
            )  # fmt: skip
            if self.job is not None:
                self.job.set_tags({"labels.ignored": ",".join(unshared)})
        return unshared

    def _source_labels(self, lang: str) -> list[str] | None:
        """The label types of a source language's training split (its test split when it has
        no training split, e.g. a whole parallel corpus projected as test); None without both."""
        for split in ("train", "test"):
            if self.source.has_split(lang, split):
                sentences = self.source.split(lang, split)
                if sentences:
                    return label_set(s.tags for s in sentences)
        return None

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

    def source_split(self, split: str, lang: str | None = None) -> list[TaggedSentence]:
        return self._split(self.source, lang or self.source_lang, split, "source_data")

    def source_dev(self, lang: str | None = None) -> list[TaggedSentence]:
        """Validation data for zero-shot methods: the source dev set (never target labels)."""
        if self.source.has_split(lang or self.source_lang, "dev"):
            return self.source_split("dev", lang)
        return []

    def label_names(self, lang: str | None = None) -> list[str]:
        """The classifier's labels: those of the source training data (after label_drop)."""
        return iob2_tag_names(label_set(s.tags for s in self.source_split("train", lang)))

    def model_node(self, role: str = "model") -> DictConfig:
        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r} (choose from {', '.join(ROLES)})")
        return self.cfg[role]

    def model_config(self, role: str = "model") -> dict:
        return group_config(self.model_node(role))

    def trainer_config(self, role: str = "model") -> dict:
        """Lightning settings of one role: the trainer group read with ``model`` set to that
        role's node (so ``trainer.max_epochs: ${model.max_epochs}`` gives each role its own),
        then the role's own ``trainer`` overrides (``+student.trainer.precision=bf16-mixed``)."""
        node = self.model_node(role)
        if role == "model":
            settings = group_config(self.cfg.trainer)
        else:
            view = OmegaConf.create(OmegaConf.to_container(self.cfg, resolve=False))
            view.model = group_config(node)
            settings = group_config(view.trainer)
        return {**settings, **group_config(node.get("trainer"))}

    # --- training -------------------------------------------------------------------------

    def fit(
        self,
        module: Any,
        train: Sequence[TaggedSentence],
        val: Sequence[TaggedSentence],
        soft: Sequence[np.ndarray] | None = None,
        prefix: str = "",
        role: str = "model",
    ) -> Any:
        """Train ``module`` with the settings of ``role``; with a validation set, the best
        ``val/f1`` weights are restored."""
        import torch

        from xner.models.datamodule import NERDataModule
        from xner.models.trainer import MetricsLogger, build_trainer

        dm = NERDataModule.from_config(
            self.model_node(role),
            module.tokenizer,
            module.label_names,
            seed=int(self.cfg.seed),
            train=list(train),
            val=list(val) or None,
            train_soft=soft,
        )
        logger = None
        if self.job is not None:
            logger = MetricsLogger(
                experiment_name=str(self.cfg.tracking.experiment),
                tracking_uri=self.job.uri,
                run_id=self.job.run_id,
                prefix=prefix,
            )
        with tempfile.TemporaryDirectory(prefix="xner-ckpt-") as ckpt_dir:
            trainer = build_trainer(
                self.trainer_config(role),
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
        role: str | None = None,
        **settings: Any,
    ) -> Any:
        """A token classifier (or distillation student, from the ``student`` node) built from
        a model node; labels default to the source labels, ``checkpoint`` to the node's
        pretrained checkpoint; ``settings`` override the node (e.g. the distillation loss)."""
        from xner.models.classifier import TokenClassifier
        from xner.models.distill import DistillationModule

        cls = DistillationModule if student else TokenClassifier
        node = self.model_node(role or ("student" if student else "model"))
        overrides = {**settings, **({"checkpoint": checkpoint} if checkpoint else {})}
        return cls.from_config(node, label_names or self.label_names(), **overrides)

    def load_classifier(self, checkpoint: str, role: str = "model") -> Any:
        """A trained classifier with the labels stored in its checkpoint (windows of ``role``)."""
        from xner.models.classifier import TokenClassifier

        module = TokenClassifier.from_config(self.model_node(role), None, checkpoint=checkpoint)
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
        given = self.model_node(role).get("source_checkpoint")
        if given:
            return str(given)
        from xner.models.trainer import seed_everything

        lang = lang or self.source_lang
        train = self.source_split("train", lang)
        val = self.source_dev(lang)
        model = self.model_config(role)
        config = {
            "model": {k: v for k, v in model.items() if k not in ("source_checkpoint", "trainer")},
            "trainer": {k: v for k, v in self.trainer_config(role).items() if k not in COSMETIC},
            "seed": int(self.cfg.seed),
            "source_data": group_config(self.cfg.source_data),
        }
        inputs = [fingerprint(train), fingerprint(val)]
        prefix = "source_model" if lang == self.source_lang else f"source_model_{lang}"

        def train_source(folder: Path) -> None:
            seed_everything(int(self.cfg.seed))
            module = self.new_classifier(label_names=self.label_names(lang), role=role)
            module = self.fit(module, train, val, prefix=prefix, role=role)
            module.save_hf(folder)

        folder, _ = self.cache.get_or_build_folder(
            SOURCE_MODEL_STAGE, config, inputs, train_source, code=SOURCE_MODEL_CODE
        )
        return str(folder)

    # --- results --------------------------------------------------------------------------

    def report(
        self,
        predicted: Sequence[Sequence[str]],
        gold: Sequence[TaggedSentence],
        split: str = "test",
        extra: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Score, log metrics and predictions, write ``out``; the same names for every method.

        The logged ``predictions/<split>.conll`` and ``predictions/<split>.gold.conll`` are the
        tags as scored (``ignore_labels`` already O), so ``evaluate.py score`` on the two files
        prints the logged numbers; ``scores/<split>_counts.json`` feeds the paired bootstrap.
        """
        ignore = list(self.cfg.get("ignore_labels") or [])
        mode = str(self.cfg.get("score_mode") or DEFAULT_MODE)
        scored = _as_scored(gold, [s.tags for s in gold], ignore)
        answers = _as_scored(gold, predicted, ignore)
        counts = count([s.tags for s in answers], [s.tags for s in scored], mode=mode)
        scores = from_counts(counts, mode)
        metrics = {**metric_dict(scores, split), **(extra or {})}
        if self.cfg.get("out"):
            write_conll(self.cfg.out, answers)
        if self.job is not None:
            self.job.log_metrics(metrics)
            self.job.set_tags({SCORE_MODE_TAG: mode})
            self.job.log_text(format_conll(answers), f"predictions/{split}.conll")
            self.job.log_text(format_conll(scored), f"predictions/{split}.gold.conll")
            self.job.log_text(classification_report(scores), f"reports/{split}_report.txt")
            errors = error_table([s.tags for s in answers], [s.tags for s in scored], (), mode)
            self.job.log_text(format_errors(errors, scored), f"reports/{split}_errors.txt")
            record = counts_record(counts, mode, ignore, sentences_digest(scored))
            self.job.log_dict(record, counts_artifact(split))
            update_environment(self.job, self.fingerprints, self.cache.used_code)
        return metrics


def _as_scored(
    gold: Sequence[TaggedSentence], tags: Sequence[Sequence[str]], ignore: Sequence[str]
) -> list[TaggedSentence]:
    """The gold sentences' words with ``tags``, ignored label types mapped to O."""
    return [
        TaggedSentence(list(s.words), filter_labels(t, ignore))
        for s, t in zip(gold, tags, strict=True)
    ]


def classification_report(scores: Mapping[str, Any]) -> str:
    lines = [f"{'type':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    rows = [*sorted(scores.get("per_type", {}).items()), ("micro", scores)]
    for name, row in rows:
        lines.append(
            f"{name:<10}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}"
            f"{int(row.get('support', 0)):>10d}"
        )
    return "\n".join(lines) + "\n"
