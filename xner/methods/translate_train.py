"""Translate-train: train a target model on source data translated and projected (silver data)."""

from typing import Any

from xner.data.conll import TaggedSentence, format_conll
from xner.method_kind import PROJECTION, TRANSLATE_TRAIN, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.training import Training
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import Pipeline, PipelineResult, translate_train


class TranslateTrain(Method):
    kind = MethodKind(
        "translate_train", PROJECTION, order=30, projects=True, pipelines=(TRANSLATE_TRAIN,)
    )

    def __init__(
        self,
        *,
        source_split: str,
        keep_incomplete: bool,
        select_on: str,
    ) -> None:
        super().__init__(select_on)
        self.source_split = source_split
        self.keep_incomplete = keep_incomplete

    def run(self, ctx: RunContext) -> dict[str, float]:
        module, extra = self.trained_model(ctx, self.silver_pipeline(ctx))
        metrics = self.predict_and_report(ctx, module)
        if ctx.job is not None:
            ctx.job.log_metrics(extra)
        return {**metrics, **extra}

    def silver_pipeline(self, ctx: RunContext) -> Pipeline:
        """The translate-train pipeline of the job (a bad config is refused here)."""
        return build_pipeline(ctx.cfg, "translate_train", ctx.cache)

    @property
    def default_split(self) -> str:
        """The source split made into silver data (project.py: split=)."""
        return self.source_split

    def projected(
        self, ctx: RunContext, split: str, pipeline: Pipeline | None = None
    ) -> tuple[list[TaggedSentence], PipelineResult]:
        """The silver data: the source ``split`` translated, its labels projected (project.py
        runs this step alone); no target gold labels go with it."""
        source = ctx.source_split(split)
        pipeline = pipeline or self.silver_pipeline(ctx)
        return [], translate_train(pipeline, source, self.keep_incomplete)

    def trained_model(self, ctx: RunContext, pipeline: Pipeline) -> tuple[Any, dict[str, float]]:
        """The target model trained on the silver data (cached: ``target_model``) and the
        projection counts of that data (``projection/...``)."""
        _, result = self.projected(ctx, self.default_split, pipeline)
        if not result.sentences:
            raise ValueError("translate_train: every source sentence was dropped; nothing to train")
        if ctx.job is not None:
            ctx.job.log_text(format_conll(result.sentences), "projected/silver_train.conll")
        training = Training(ctx)
        folder = training.target_model(result.sentences, self.validation(ctx))
        return training.load_classifier(folder), result.summary()
