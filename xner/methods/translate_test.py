"""Translate-test: project labels of the translated-and-labelled target test set back onto it."""

from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import translate_test


class TranslateTest(Method):
    def run(self, ctx: RunContext) -> dict[str, float]:
        # a bad config is refused before the source model (the labeller) is trained
        pipeline = build_pipeline(ctx.cfg, "translate_test", ctx.cache, ctx.source_checkpoint)
        test = ctx.target_split("test")
        result = translate_test(pipeline, test)
        return ctx.report([s.tags for s in result.sentences], test, extra=result.summary())
