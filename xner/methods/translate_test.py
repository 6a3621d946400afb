"""Translate-test: project labels of the translated-and-labelled target test set back onto it."""

from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.projection_job import Stages, run_translate_test, summary
from xner.methods.results import report
from xner.methods.training import Training


class TranslateTest(Method):
    def run(self, ctx: RunContext) -> dict[str, float]:
        stages = Stages(ctx.cfg, "translate_test")  # refuses a bad config before any training
        if stages.needs_checkpoint:
            stages.use_checkpoint(Training(ctx).source_checkpoint())
        result = run_translate_test(ctx, stages)
        test = ctx.target_split("test")
        return report(ctx, [s.tags for s in result.sentences], test, extra=summary(result))
