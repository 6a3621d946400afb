"""From a Hydra config to the projection pipeline: build each stage, run one direction.

Shared by ``project.py`` and the ``translate_test`` / ``translate_train`` methods of
``train.py``, so both run exactly the same pipeline from the same config groups.
"""

import logging
from typing import Any

from omegaconf import DictConfig

from xner.config import build, group_config
from xner.errors import ConfigError
from xner.methods.context import RunContext
from xner.pipeline.stages import (
    LENGTH_SLACK,
    MAX_LENGTH_RATIO,
    BackTranslation,
    PipelineResult,
    translate_test,
    translate_train,
)

log = logging.getLogger(__name__)
TASKS = ("translate_test", "translate_train")
VIAS = ("direct", "backtranslation")


def _node(cfg: DictConfig, key: str) -> dict | None:
    node = cfg.get(key)
    return None if node is None else group_config(node)


class Stages:
    """The configured translator, labeller, aligner and projector, built before any work runs."""

    def __init__(self, cfg: DictConfig, task: str, labeler_checkpoint: str | None = None) -> None:
        if task not in TASKS:
            raise ConfigError(f"task={task!r}: choose one of {', '.join(TASKS)}")
        self.cfg = cfg
        self.task = task
        aligner_cfg = group_config(cfg.aligner)
        self.via = aligner_cfg.pop("via", "direct")
        if self.via not in VIAS:
            raise ConfigError(f"aligner.via={self.via!r}: choose one of {', '.join(VIAS)}")
        self.translator = build(cfg.translator)
        self.aligner = build(aligner_cfg)
        self.projector = build(cfg.projector)
        # translate_train projects the source's own gold labels: no labeller runs.
        self.labeler_cfg = (_node(cfg, "labeler") or {}) if task == "translate_test" else {}
        if labeler_checkpoint is not None and self.labeler_cfg.get("checkpoint") == "???":
            self.labeler_cfg["checkpoint"] = str(labeler_checkpoint)
        ready = self.labeler_cfg and self.labeler_cfg.get("checkpoint") != "???"
        self.labeler = build(self.labeler_cfg) if ready else None
        self.target_labeler_cfg = _node(cfg, "target_labeler")
        self.target_labeler = build(self.target_labeler_cfg) if self.target_labeler_cfg else None
        self.nmt_cfg = _node(cfg, "nmt_scorer")
        self.nmt_scorer = build(self.nmt_cfg) if self.nmt_cfg else None
        self.backtranslation_cfg: dict = {}
        self.backtranslation = None
        if self.via == "backtranslation":
            bt = _node(cfg, "backtranslation") or {}
            translator_cfg = bt.get("translator") or group_config(cfg.translator)
            self.backtranslation_cfg = {**bt, "translator": translator_cfg}
            self.backtranslation = BackTranslation(
                build(translator_cfg), threshold=float(bt.get("threshold", 0.5))
            )
        self._check_languages(str(cfg.get("source_lang", "en")), str(cfg.lang))
        self.max_length_ratio = cfg.get("max_translation_ratio", MAX_LENGTH_RATIO)
        self.length_slack = int(cfg.get("translation_length_slack", LENGTH_SLACK))
        self.stage_configs = {
            "translator": group_config(cfg.translator),
            "labeler": self.labeler_cfg,
            "aligner": group_config(cfg.aligner),
            "projector": group_config(cfg.projector),
            "target_labeler": self.target_labeler_cfg or {},
            "nmt": self.nmt_cfg or {},
            "backtranslation": self.backtranslation_cfg,
        }

    def _check_languages(self, source_lang: str, lang: str) -> None:
        """A language the translator does not cover is refused here, before any data is read."""
        forward = (lang, source_lang) if self.task == "translate_test" else (source_lang, lang)
        for translator, pair in (
            (self.translator, forward),
            (getattr(self.backtranslation, "translator", None), (source_lang, lang)),
        ):
            check = getattr(translator, "check", None)
            if check is not None:
                check(*pair)

    @property
    def needs_checkpoint(self) -> bool:
        """labeler=model without a checkpoint: the caller supplies the source model."""
        return self.labeler is None and self.labeler_cfg.get("checkpoint") == "???"

    def use_checkpoint(self, checkpoint: str) -> None:
        self.labeler_cfg["checkpoint"] = str(checkpoint)  # also the labeler's stage config
        self.labeler = build(self.labeler_cfg)

    def parallel_text(self, src_lang: str, tgt_lang: str) -> list:
        """All (src_lang, tgt_lang) pairs the translator knows (a reference translator: the
        whole parallel corpus); an aligner that learns from text trains on them too."""
        if not getattr(self.aligner, "learns_from_text", False):
            return []
        known = getattr(self.translator, "parallel_text", None)
        return known(src_lang, tgt_lang) if known is not None else []

    def common(self, ctx: RunContext) -> dict[str, Any]:
        return {
            "translator": self.translator,
            "aligner": self.aligner,
            "projector": self.projector,
            "cache": ctx.cache,
            "stage_configs": self.stage_configs,
            "backtranslation": self.backtranslation,
            "target_labeler": self.target_labeler,
            "nmt_scorer": self.nmt_scorer,
            "max_length_ratio": self.max_length_ratio,
            "length_slack": self.length_slack,
            "parallel_text": self.parallel_text(ctx.source_lang, ctx.lang),
        }


def run_translate_test(ctx: RunContext, stages: Stages, split: str = "test") -> PipelineResult:
    """Target sentences -> source language -> labelled -> aligned -> projected back."""
    if stages.needs_checkpoint:
        raise ConfigError(
            "labeler=model needs labeler.checkpoint=<HF id or folder> "
            "(train.py fills it with the source model)"
        )
    if stages.labeler is None:
        raise ConfigError("translate_test needs a labeler (labeler=gold or labeler=model)")
    target = ctx.target_split(split)
    return translate_test(
        target,
        labeler=stages.labeler,
        src_lang=ctx.source_lang,
        tgt_lang=ctx.lang,
        **stages.common(ctx),
    )


def run_translate_train(
    ctx: RunContext, stages: Stages, split: str = "train", keep_incomplete: bool = False
) -> PipelineResult:
    """Labelled source sentences -> target language -> aligned -> projected (silver data)."""
    source = ctx.source_split(split)
    return translate_train(
        source,
        src_lang=ctx.source_lang,
        tgt_lang=ctx.lang,
        keep_incomplete=keep_incomplete,
        **stages.common(ctx),
    )


def summary(result: PipelineResult) -> dict[str, float]:
    return {
        "projection/sentences": len(result.sentences),
        "projection/source_entities": result.n_source_entities,
        "projection/projected": result.n_projected,
        "projection/dropped": result.n_dropped,
        "projection/sentences_dropped": result.n_sentences_dropped,
        "projection/empty_translations": result.n_empty_translations,
        "projection/truncated_translations": result.n_truncated_translations,
        "projection/unmet_constraints": result.n_unmet,
        "projection/projected_share": result.projected_share,
    }
