"""Translate-test: project labels of the translated-and-labelled target test set back onto it."""

from xner.data.conll import TaggedSentence
from xner.method_kind import AS_LABELER, PROJECTION, TRANSLATE_TEST, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.results import report
from xner.methods.training import Training
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import Pipeline, PipelineResult, translate_test


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
        test, result = self.projected(ctx, self.default_split)
        return report(ctx, [s.tags for s in result.sentences], test, extra=result.summary())

    default_split = "test"  # the target split scored (project.py: split=)

    def projected(self, ctx: RunContext, split: str) -> tuple[list[TaggedSentence], PipelineResult]:
        """The target ``split`` with its labels projected back from its labelled translation
        (project.py runs this step alone)."""
        gold = ctx.target_split(split)
        return gold, translate_test(translate_test_pipeline(ctx), gold)


def translate_test_pipeline(ctx: RunContext) -> Pipeline:
    """The translate-test pipeline of the job; a bad config is refused before the source model
    (the labeller) is trained. Without a ``model`` to train (project.py), ``labeler=model``
    needs its checkpoint."""
    source_checkpoint = Training(ctx).source_checkpoint if ctx.cfg.get("model") else None
    return build_pipeline(ctx.cfg, "translate_test", ctx.cache, source_checkpoint)
