"""Translate-train: train a target model on source data translated and projected (silver data)."""

from xner.data.conll import format_conll
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.training import Training
from xner.models.trainer import seed_everything
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import translate_train


class TranslateTrain(Method):
    def __init__(
        self,
        source_split: str = "train",
        keep_incomplete: bool = False,
        select_on: str = "source_dev",
    ) -> None:
        super().__init__(select_on)
        self.source_split = source_split
        self.keep_incomplete = keep_incomplete

    def run(self, ctx: RunContext) -> dict[str, float]:
        pipeline = build_pipeline(ctx.cfg, "translate_train", ctx.cache)
        source = ctx.source_split(self.source_split)
        result = translate_train(pipeline, source, self.keep_incomplete)
        if not result.sentences:
            raise ValueError("translate_train: every source sentence was dropped; nothing to train")
        if ctx.job is not None:
            ctx.job.log_text(format_conll(result.sentences), "projected/silver_train.conll")
        seed_everything(int(ctx.cfg.seed))
        training = Training(ctx)
        module = training.new_classifier()
        module = training.fit(module, result.sentences, self.validation(ctx))
        metrics = self.predict_and_report(ctx, module)
        extra = result.summary()
        if ctx.job is not None:
            ctx.job.log_metrics(extra)
        return {**metrics, **extra}
