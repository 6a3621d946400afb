"""Fine-tune on a labelled split of `data`: the English source model, or a target upper bound."""

from xner.data.tags import iob2_tag_names, label_set
from xner.method_kind import REFERENCE, TARGET, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.training import Training


class Supervised(Method):
    kind = MethodKind("supervised", REFERENCE, order=0, labels=TARGET)
    zero_shot = False

    def __init__(self, *, train_split: str, select_on: str) -> None:
        super().__init__(select_on)
        self.train_split = train_split

    def run(self, ctx: RunContext) -> dict[str, float]:
        from xner.models.trainer import seed_everything  # Lightning: only once a job runs

        training = Training(ctx)
        train = ctx.target_split(self.train_split)
        seed_everything(int(ctx.cfg.seed))
        labels = iob2_tag_names(label_set(s.tags for s in train))
        module = training.new_classifier(label_names=labels)
        module = training.fit(module, train, self.validation(ctx))
        return self.predict_and_report(ctx, module)
