"""What a method is: a configured object whose `run` returns the job's test metrics."""

from abc import ABC, abstractmethod
from typing import ClassVar

from omegaconf import DictConfig

from xner.method_kind import MethodKind
from xner.methods.context import RunContext
from xner.methods.results import report
from xner.options import one_of
from xner.tracking.names import TARGET_DEV_TAG

# Where a method selects its checkpoint: source dev set, last epoch, target dev (not zero-shot).
SELECT_ON = ("source_dev", "last", "target_dev")


class Method(ABC):
    #: What the method is (:mod:`xner.method_kind`): each subclass declares its own.
    kind: ClassVar[MethodKind]
    #: Methods that claim no target labels never select checkpoints on target dev labels.
    zero_shot: bool = True

    @classmethod
    def problems(cls, cfg: DictConfig) -> list[str]:
        """Reasons of this method's own why ``cfg`` cannot run (preflight; nothing is built)."""
        return []

    def __init__(self, select_on: str) -> None:
        self.select_on = one_of("method.select_on", select_on, SELECT_ON, error=ValueError)

    @abstractmethod
    def run(self, ctx: RunContext) -> dict[str, float]: ...

    def validation(self, ctx: RunContext) -> list:
        """Checkpoint selection data; target dev labels only when configured (and tagged)."""
        if self.select_on == "last":
            return []
        if self.select_on == "target_dev":
            if ctx.job is not None and self.zero_shot:
                ctx.job.set_tags({TARGET_DEV_TAG: "true"})
            return ctx.target_split("dev") if ctx.target.has_split(ctx.lang, "dev") else []
        return ctx.source_dev()

    def predict_and_report(self, ctx: RunContext, module) -> dict[str, float]:
        test = ctx.target_split("test")
        with ctx.measured("evaluate"):
            predicted = [tags for tags, _ in module.predict_words([s.words for s in test])]
        return report(ctx, predicted, test)
