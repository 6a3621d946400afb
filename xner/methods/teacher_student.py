"""Teacher-student learning (Wu et al. 2020): distil source teachers into a fresh target student.

The teachers' per-word probabilities on the unlabelled target text are computed once (at
temperature 1) and cached; the student starts from the pretrained checkpoint, not the teacher.
"""

from collections.abc import Sequence

import numpy as np

from xner.cache import fingerprint
from xner.data.conll import untagged
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.models.distill import combine_teachers
from xner.models.trainer import seed_everything

TEACHER_STAGE = "teacher_probs"
# Code in the teacher probabilities' cache key (loading and running a trained classifier).
TEACHER_CODE = (
    "xner.methods.teacher_student:TeacherStudent.teacher_probs",
    "xner.methods.context:RunContext.load_classifier",
    "xner.methods.context:RunContext.device",
)


class TeacherStudent(Method):
    def __init__(
        self,
        unlabelled_split: str = "train",
        teachers: Sequence[str] | None = None,
        teacher_weights: Sequence[float] | None = None,
        select_on: str = "source_dev",
    ) -> None:
        super().__init__(select_on)
        self.unlabelled_split = unlabelled_split
        self.teachers = list(teachers or [])
        self.teacher_weights = list(teacher_weights) if teacher_weights else None

    def teacher_probs(self, ctx: RunContext, checkpoint: str, words: list[list[str]]) -> list:
        model = ctx.model_config()
        config = {
            "teacher": checkpoint,
            "max_length": model.get("max_length"),
            "stride": model.get("stride"),
        }

        def compute() -> dict:
            teacher = ctx.load_classifier(checkpoint)
            probs = [p for _, p in teacher.predict_words(words)]
            return {"labels": teacher.label_names, "probs": probs}

        value, _ = ctx.cache.get_or_compute(
            TEACHER_STAGE, config, [fingerprint(words)], compute, code=TEACHER_CODE
        )
        return value

    def run(self, ctx: RunContext) -> dict[str, float]:
        unlabelled = untagged(ctx.target_split(self.unlabelled_split))
        words = [s.words for s in unlabelled]
        checkpoints = self.teachers or [ctx.source_checkpoint()]
        outputs = [self.teacher_probs(ctx, ckpt, words) for ckpt in checkpoints]
        labels = list(outputs[0]["labels"])
        if any(list(o["labels"]) != labels for o in outputs):
            raise ValueError(f"teachers disagree on label names: {[o['labels'] for o in outputs]}")
        soft = combine_teachers(
            [[np.asarray(p) for p in o["probs"]] for o in outputs], self.teacher_weights
        )
        seed_everything(int(ctx.cfg.seed))
        student = ctx.new_classifier(label_names=labels, student=True)
        student = ctx.fit(student, unlabelled, self.validation(ctx), soft=soft)
        return self.predict_and_report(ctx, student)
