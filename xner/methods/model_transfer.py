"""Zero-shot model transfer: the source model applied to the target test set as it is."""

from xner.methods.base import Method
from xner.methods.context import RunContext


class ModelTransfer(Method):
    def run(self, ctx: RunContext) -> dict[str, float]:
        module = ctx.load_classifier(ctx.source_checkpoint())
        return self.predict_and_report(ctx, module)
