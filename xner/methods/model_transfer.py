"""Zero-shot model transfer: the source model applied to the target test set as it is."""

from xner.method_kind import BASELINE, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.training import Training


class ModelTransfer(Method):
    kind = MethodKind("model_transfer", BASELINE, order=10)

    def run(self, ctx: RunContext) -> dict[str, float]:
        training = Training(ctx)
        module = training.load_classifier(training.source_checkpoint())
        return self.predict_and_report(ctx, module)
