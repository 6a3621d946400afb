"""Teacher-student learning (Wu et al. 2020): distil source teachers into a target student.

Teachers are source models of the ``teacher`` node, one per source language (``source_langs``),
each trained once and cached like the source model of every other method; or checkpoints given
in ``method.teachers``. Their per-word probabilities on the unlabelled target text (and their
predictions on the target test, logged as ``teacher/<name>/test/f1``: the model-transfer number
of that source) are computed once per (teacher, text) and cached. Their soft labels are mixed
with the weights of ``method.teacher_weights`` (:mod:`xner.methods.teacher_weights`: uniform,
given, or by language similarity), logged as params ``teacher_weight/<name>``. The student is
the ``student`` node, fresh from its pretrained checkpoint (it may use another tokenizer), or
from its one teacher's trained weights (``method.student_init``; :func:`student_start`).
"""

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.data.conll import untagged
from xner.errors import ConfigError, XnerError
from xner.method_kind import DISTILLATION, SOURCES, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.results import Scoring
from xner.methods.teacher_weights import (
    PARAM,
    SIMILARITY,
    similarity_settings,
    similarity_weights,
    weights_problem,
)
from xner.methods.training import Training
from xner.options import one_of
from xner.pipeline.cache import fingerprint
from xner.tracking.job_tags import checkpoint_name

log = logging.getLogger(__name__)
TEACHER_STAGE = "teacher_probs"
# Code in the teacher probabilities' cache key (loading and running a trained classifier).
TEACHER_CODE = (
    "xner.methods.teacher_student:TeacherStudent.teacher_probs",
    "xner.methods.training:Training.load_classifier",
    "xner.methods.training:Training.device",
)

TEACHER_METRIC = "teacher/{name}/"
# Where the student starts: its node's pretrained checkpoint (Wu et al.), its teacher's weights,
# or (auto) the teacher's where the job has one teacher of the student's model.
STUDENT_INITS = ("auto", "pretrained", "teacher")
START_PARAM = "student_start"  # the resolved start, logged beside method.student_init


def teacher_names(checkpoints: Sequence[str]) -> list[str]:
    """Metric-safe, distinct names for given teacher checkpoints (their last path part)."""
    names: list[str] = []
    for checkpoint in checkpoints:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", checkpoint_name(checkpoint)) or "teacher"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def student_start(init: str | None, cfg: DictConfig) -> str:
    """Where the student starts, ``pretrained`` or ``teacher``: ``method.student_init`` resolved
    (``auto``: the teacher when the job trains one teacher of the student's model)."""
    init = one_of("method.student_init", init, STUDENT_INITS)
    given = list(cfg.method.get("teachers") or [])
    teachers = given or list(cfg.get("source_langs") or [cfg.get("source_lang")])
    student, teacher = cfg.student.checkpoint, cfg.teacher.checkpoint
    if init == "auto":
        one_of_its_model = len(teachers) == 1 and not given and student == teacher
        return "teacher" if one_of_its_model else "pretrained"
    if init == "pretrained":
        return init
    if len(teachers) != 1:
        raise ConfigError(
            f"method.student_init=teacher starts the student from its one teacher's weights, "
            f"but there are {len(teachers)} teachers ({', '.join(map(str, teachers))}): "
            "use method.student_init=pretrained"
        )
    if not given and student != teacher:
        raise ConfigError(
            f"method.student_init=teacher starts the student from the teacher, a {teacher} "
            f"model, but the student's recipe is for {student}: use model@student=same "
            "or method.student_init=pretrained"
        )
    return init


class TeacherStudent(Method):
    kind = MethodKind("teacher_student", DISTILLATION, order=50, labels=SOURCES, distills=True)

    @classmethod
    def problems(cls, cfg: DictConfig) -> list[str]:
        """``method.teacher_weights=similarity`` needs source text; its settings must be known."""
        node = cfg.method
        weights = node.get("teacher_weights")
        problem = weights_problem(weights, list(node.get("teachers") or []))
        if problem:
            return [problem]
        try:
            student_start(node.get("student_init"), cfg)
        except ConfigError as err:
            return [str(err)]
        if weights == SIMILARITY:
            try:
                settings = OmegaConf.to_container(node.get("similarity") or {}, resolve=True)
                similarity_settings(settings)
            except XnerError as err:
                return [str(err)]
        return []

    def __init__(
        self,
        *,
        unlabelled_split: str,
        teachers: Sequence[str] | None,
        teacher_weights: Sequence[float] | str | None,
        loss: str,
        temperature: float,
        select_on: str,
        similarity: Mapping[str, Any] | None,
        student_init: str,
    ) -> None:
        super().__init__(select_on)
        self.unlabelled_split = unlabelled_split
        self.teachers = [str(t) for t in teachers or []]
        problem = weights_problem(teacher_weights, self.teachers)
        if problem:
            raise ConfigError(problem)
        if isinstance(teacher_weights, str):
            self.teacher_weights: list[float] | str | None = teacher_weights
        else:
            self.teacher_weights = list(teacher_weights) if teacher_weights else None
        self.similarity = dict(similarity or {})
        similarity_settings(self.similarity)  # bad settings fail before any training
        self.loss = loss
        self.temperature = temperature
        self.student_init = one_of("method.student_init", student_init, STUDENT_INITS)

    def names(self, ctx: RunContext) -> list[str]:
        """The teachers' names: of the given checkpoints, else the source languages."""
        if self.teachers:
            return teacher_names(self.teachers)
        langs = list(ctx.source_langs)
        if len(set(langs)) != len(langs):
            raise ConfigError(f"source_langs {langs} names a language twice")
        return langs

    def teacher_checkpoints(self, ctx: RunContext) -> list[tuple[str, str]]:
        """(name, checkpoint) of every teacher: the given checkpoints, else one source model of
        the ``teacher`` node per source language (trained on first use, then cached)."""
        if self.teachers:
            return list(zip(teacher_names(self.teachers), self.teachers, strict=True))
        langs = self.names(ctx)
        training = Training(ctx)
        if len(langs) > 1 and training.model_settings("teacher").source_checkpoint:
            raise ConfigError(
                f"teacher.source_checkpoint is one model but source_langs has {len(langs)} "
                "languages: give one checkpoint per teacher in method.teachers instead"
            )
        return [(lang, training.source_checkpoint("teacher", lang)) for lang in langs]

    def teacher_probs(self, ctx: RunContext, checkpoint: str, words: list[list[str]]) -> dict:
        """Labels, per-word probabilities and tags of one teacher on ``words`` (cached)."""
        training = Training(ctx)
        teacher = training.model_settings("teacher")
        config = {
            "teacher": checkpoint,
            "max_length": teacher.max_length,
            "stride": teacher.stride,
            "outputs": "probs+tags",
        }

        def compute() -> dict:
            module = training.load_classifier(checkpoint, role="teacher")
            predicted = module.predict_words(words)
            return {
                "labels": module.label_names,
                "probs": [p for _, p in predicted],
                "tags": [t for t, _ in predicted],
            }

        value, _ = ctx.cache.get_or_compute(
            TEACHER_STAGE, config, [fingerprint(words)], compute, code=TEACHER_CODE
        )
        return value

    def teacher_scores(self, ctx: RunContext, name: str, checkpoint: str) -> dict[str, float]:
        """The teacher's own zero-shot scores on the target test, as ``teacher/<name>/test/...``."""
        test = ctx.target_split("test")
        tags = self.teacher_probs(ctx, checkpoint, [s.words for s in test])["tags"]
        metrics = Scoring.of(ctx.cfg).metrics(tags, [s.tags for s in test], "test")
        prefix = TEACHER_METRIC.format(name=name)
        return {prefix + k: v for k, v in metrics.items()}

    def validation(self, ctx: RunContext) -> list:
        """The student's checkpoint selection: every source language's dev set, concatenated."""
        if self.select_on != "source_dev":
            return super().validation(ctx)
        return [s for lang in ctx.source_langs for s in ctx.source_dev(lang)]

    def alphas(self, ctx: RunContext, words: list[list[str]]) -> dict[str, float]:
        """The normalised weight of each teacher (by name), logged as ``teacher_weight/<name>``
        params; by similarity, computed from the source and target text before any teacher
        is trained."""
        from xner.models.distill import teacher_alphas  # Lightning: only once a job runs

        names = self.names(ctx)
        if self.teacher_weights == SIMILARITY:
            by_lang = similarity_weights(ctx, self.similarity, names, words)
            weights: list[float] | None = [by_lang[name] for name in names]
        else:
            weights = self.teacher_weights  # type: ignore[assignment]
        alphas = dict(zip(names, teacher_alphas(len(names), weights).tolist(), strict=True))
        if ctx.job is not None:
            ctx.job.log_params({PARAM.format(name=n): repr(a) for n, a in alphas.items()})
        return alphas

    def new_student(
        self, ctx: RunContext, labels: list[str], checkpoints: list[tuple[str, str]]
    ) -> Any:
        """The untrained student (seeded): from its pretrained model or its one teacher's weights
        (``method.student_init``, resolved, said in the log and logged as ``student_start``)."""
        from xner.models.trainer import seed_everything

        start = student_start(self.student_init, ctx.cfg)
        name, checkpoint = checkpoints[0]
        origin = f"teacher {name}'s weights" if start == "teacher" else "its pretrained model"
        log.info("the student starts from %s (method.student_init=%s)", origin, self.student_init)
        if ctx.job is not None:
            ctx.job.log_params({START_PARAM: start})
        seed_everything(int(ctx.cfg.seed))
        return Training(ctx).new_classifier(
            label_names=labels,
            student=True,
            checkpoint=checkpoint if start == "teacher" else None,
            loss=self.loss,
            temperature=self.temperature,
        )

    def run(self, ctx: RunContext) -> dict[str, float]:
        # Lightning is imported once a job runs, not when the class's kind is read
        from xner.models.distill import align_labels, combine_teachers, shared_labels

        unlabelled = untagged(ctx.target_split(self.unlabelled_split))
        words = [list(s.words) for s in unlabelled]
        alphas = self.alphas(ctx, words)  # bad weights fail before any training
        outputs, teacher_metrics = [], {}
        checkpoints = self.teacher_checkpoints(ctx)
        for name, checkpoint in checkpoints:
            outputs.append(self.teacher_probs(ctx, checkpoint, words))
            teacher_metrics.update(self.teacher_scores(ctx, name, checkpoint))
        if ctx.job is not None:
            ctx.job.log_metrics(teacher_metrics)
        labels = shared_labels([list(o["labels"]) for o in outputs])
        soft = combine_teachers(
            [align_labels(o["probs"], list(o["labels"]), labels) for o in outputs],
            list(alphas.values()),
        )
        student = Training(ctx).fit(
            self.new_student(ctx, labels, checkpoints),
            unlabelled,
            self.validation(ctx),
            soft=soft,
            role="student",
            stage="distil",
        )
        return {**teacher_metrics, **self.predict_and_report(ctx, student)}
