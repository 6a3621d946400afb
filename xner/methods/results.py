"""The one results path of train.py and project.py: score, log, write ``out``, record the run.

Every method and both apps end here, so the same names (``test/f1``, ``predictions/…``,
``scores/…``) mean the same thing whichever command produced them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from xner.data.conll import TaggedSentence, format_conll, write_conll
from xner.data.tags import filter_labels
from xner.evaluation.counts import counts_record
from xner.evaluation.errors import error_table, format_errors
from xner.evaluation.metrics import (
    DEFAULT_MODE,
    MODES,
    count,
    from_counts,
    metric_dict,
    score,
    sentences_digest,
)
from xner.methods.context import RunContext
from xner.options import one_of
from xner.tracking.names import SCORE_MODE_TAG, counts_artifact
from xner.tracking.runs import update_environment


@dataclass(frozen=True)
class Scoring:
    """How a job scores: the label types read as O on both sides and the entity reading."""

    ignore: tuple[str, ...]
    mode: str

    @classmethod
    def of(cls, cfg: DictConfig) -> "Scoring":
        mode = one_of("score_mode", cfg.get("score_mode") or DEFAULT_MODE, MODES)
        return cls(tuple(cfg.get("ignore_labels") or []), str(mode))

    def metrics(
        self, predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], split: str
    ) -> dict[str, float]:
        """``<split>/f1``... of tags alone, logging nothing (e.g. a teacher's own scores)."""
        return metric_dict(score(predicted, gold, list(self.ignore), self.mode), split)


def report(
    ctx: RunContext,
    predicted: Sequence[Sequence[str]],
    gold: Sequence[TaggedSentence],
    split: str = "test",
    extra: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Score, log metrics and predictions, write ``out``; the same names for every method.

    The logged ``predictions/<split>.conll`` and ``predictions/<split>.gold.conll`` are the
    tags as scored (``ignore_labels`` already O), so ``evaluate.py score`` on the two files
    prints the logged numbers; ``scores/<split>_counts.json`` feeds the paired bootstrap.
    """
    scoring = Scoring.of(ctx.cfg)
    ignore = list(scoring.ignore)
    scored = _as_scored(gold, [s.tags for s in gold], ignore)
    answers = _as_scored(gold, predicted, ignore)
    counts = count([s.tags for s in answers], [s.tags for s in scored], mode=scoring.mode)
    scores = from_counts(counts, scoring.mode)
    metrics = publish(ctx, answers, {**metric_dict(scores, split), **(extra or {})})
    if ctx.job is not None:
        job = ctx.job
        job.set_tags({SCORE_MODE_TAG: scoring.mode})
        job.log_text(format_conll(answers), f"predictions/{split}.conll")
        job.log_text(format_conll(scored), f"predictions/{split}.gold.conll")
        job.log_text(classification_report(scores), f"reports/{split}_report.txt")
        errors = error_table([s.tags for s in answers], [s.tags for s in scored], (), scoring.mode)
        job.log_text(format_errors(errors, scored), f"reports/{split}_errors.txt")
        record = counts_record(counts, scoring.mode, ignore, sentences_digest(scored))
        job.log_dict(record, counts_artifact(split))
    return metrics


def publish(
    ctx: RunContext, sentences: Sequence[TaggedSentence], metrics: Mapping[str, float]
) -> dict[str, float]:
    """Write ``sentences`` to ``out`` (if set) before anything reaches the store, then log
    ``metrics`` and the job's data and code fingerprints; ``metrics`` returned as a dict."""
    if ctx.cfg.get("out"):
        write_conll(ctx.cfg.out, sentences)
    if ctx.job is not None:
        ctx.job.log_metrics(metrics)
        update_environment(ctx.job, ctx.fingerprints, ctx.cache.used_code)
    return dict(metrics)


def _as_scored(
    gold: Sequence[TaggedSentence], tags: Sequence[Sequence[str]], ignore: Sequence[str]
) -> list[TaggedSentence]:
    """The gold sentences' words with ``tags``, ignored label types mapped to O."""
    return [
        TaggedSentence(list(s.words), filter_labels(t, ignore))
        for s, t in zip(gold, tags, strict=True)
    ]


def classification_report(scores: Mapping[str, Any]) -> str:
    lines = [f"{'type':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    rows = [*sorted(scores.get("per_type", {}).items()), ("micro", scores)]
    for name, row in rows:
        lines.append(
            f"{name:<10}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}"
            f"{int(row.get('support', 0)):>10d}"
        )
    return "\n".join(lines) + "\n"
