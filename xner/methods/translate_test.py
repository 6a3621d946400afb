"""Translate-test: project labels of the translated-and-labelled target test set back onto it."""

from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.kind import AS_LABELER, PROJECTION, TRANSLATE_TEST, MethodKind
from xner.methods.results import report
from xner.methods.training import Training
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import Pipeline, translate_test


class TranslateTest(Method):
    kind = MethodKind(
        "translate_test",
        PROJECTION,
        order=20,
        projects=True,
        pipelines=(TRANSLATE_TEST,),
        model=AS_LABELER,
    )

    def run(self, ctx: RunContext) -> dict[str, float]:
        pipeline = translate_test_pipeline(ctx)
        test = ctx.target_split("test")
        result = translate_test(pipeline, test)
        return report(ctx, [s.tags for s in result.sentences], test, extra=result.summary())


def translate_test_pipeline(ctx: RunContext) -> Pipeline:
    """The translate-test pipeline of the job; a bad config is refused before the source model
    (the labeller) is trained."""
    source_checkpoint = Training(ctx).source_checkpoint
    return build_pipeline(ctx.cfg, "translate_test", ctx.cache, source_checkpoint)
