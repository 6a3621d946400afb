"""Ensemble: translate-train's model and translate-test's projection, mixed word by word.

For each target test word and label ``y`` of the translate-train model's labels:

    p(y) = w * p_model(y) + (1 - w) * p_projection(y)

``p_model`` is the translate-train model's per-word distribution; ``p_projection`` is the
translate-test projection's tag as a distribution, smoothed by ``s``: ``1 - s`` on the projected
tag plus ``s`` spread evenly over all K labels (``s = 0``: one-hot). The mixture is decoded by
the model's own decoder (:func:`xner.models.decoding.decode`, constrained IOB2 Viterbi unless
``model.decode=argmax``), so the output is valid IOB2 like every method's.

Word by word, the model overrides a projected tag ``y_p`` with its own ``y`` when
``w * (p_model(y) - p_model(y_p)) > (1 - w) * (1 - s)``: at the shipped ``w = s = 0.5``
(ensemble.yaml, neither part tuned on target labels) when its probability margin exceeds 0.5.
With a one-hot projection (``s = 0``) and ``w <= 0.5`` the projection always wins, so the
shipped file smooths it.
``w = 1`` is the translate-train model alone.

Both parts come from the stage cache when a translate_train and a translate_test run of the
same config ran before: the silver data, the trained model (``target_model``), the
translation, labels, links and projections of the test set are hits, nothing is recomputed.
"""

from collections.abc import Sequence

import numpy as np

from xner.data.tags import OUTSIDE
from xner.errors import ConfigError
from xner.method_kind import PROJECTION, TRANSLATE_TEST, TRANSLATE_TRAIN, MethodKind
from xner.methods.context import RunContext
from xner.methods.results import Scoring, report
from xner.methods.translate_test import translate_test_pipeline
from xner.methods.translate_train import TranslateTrain
from xner.models.decoding import decode
from xner.options import Range, in_range
from xner.pipeline.pipeline import translate_test


def projection_distribution(
    tags: Sequence[str], names: Sequence[str], smoothing: float
) -> tuple[np.ndarray, int]:
    """``[n_words, len(names)]``: each projected tag as a smoothed one-hot row, and how many
    tags are not among ``names`` (read as ``O``)."""
    index = {name: k for k, name in enumerate(names)}
    if OUTSIDE not in index:
        raise ConfigError(f"ensemble: the model's labels {list(names)} have no {OUTSIDE!r}")
    rows = np.full((len(tags), len(names)), smoothing / len(names))
    unknown = 0
    for i, tag in enumerate(tags):
        k = index.get(tag)
        if k is None:
            unknown += 1
            k = index[OUTSIDE]
        rows[i, k] += 1.0 - smoothing
    return rows, unknown


def mixed(model_probs: np.ndarray, projection: np.ndarray, weight: float) -> np.ndarray:
    """The per-word mixture ``weight * model + (1 - weight) * projection``."""
    model_probs = np.asarray(model_probs, dtype=np.float64)
    if model_probs.shape != projection.shape:
        raise ValueError(
            f"ensemble: model probabilities {model_probs.shape} and projection "
            f"{projection.shape} differ in shape"
        )
    return weight * model_probs + (1.0 - weight) * projection


def ensemble_tags(
    model_probs: np.ndarray,
    projected: Sequence[str],
    names: Sequence[str],
    weight: float = 0.5,
    smoothing: float = 0.5,
    mode: str = "viterbi",
) -> tuple[list[str], int]:
    """One sentence's tags from the model's ``[n_words, len(names)]`` probabilities and the
    projected tags; also the number of projected tags outside ``names``."""
    projection, unknown = projection_distribution(projected, names, smoothing)
    return decode(mixed(model_probs, projection, weight), names, mode), unknown


def _share(name: str, value: float) -> float:
    return float(in_range(f"method.{name}", value, Range(0, 1)))


class Ensemble(TranslateTrain):
    """translate_train's model and translate_test's projection of the same config, mixed."""

    # after the two it combines: a sequential sweep serves both parts from the stage cache
    kind = MethodKind(
        "ensemble",
        PROJECTION,
        order=40,
        projects=True,
        pipelines=(TRANSLATE_TEST, TRANSLATE_TRAIN),
    )

    def __init__(
        self,
        *,
        weight: float,
        smoothing: float,
        source_split: str,
        keep_incomplete: bool,
        select_on: str,
    ) -> None:
        super().__init__(
            source_split=source_split, keep_incomplete=keep_incomplete, select_on=select_on
        )
        self.weight = _share("weight", weight)
        self.smoothing = _share("smoothing", smoothing)

    def run(self, ctx: RunContext) -> dict[str, float]:
        silver_pipeline = self.silver_pipeline(ctx)  # both pipelines' configs checked first
        test_pipeline = translate_test_pipeline(ctx)
        module, silver = self.trained_model(ctx, silver_pipeline)
        test = ctx.target_split("test")
        result = translate_test(test_pipeline, test)
        with ctx.measured("evaluate"):
            predicted = module.predict_words([s.words for s in test])
        names = list(module.label_names)
        mode = module.settings.decode
        tags, unknown = [], 0
        for (_, probs), sentence in zip(predicted, result.sentences, strict=True):
            sentence_tags, n = ensemble_tags(
                probs, sentence.tags, names, self.weight, self.smoothing, mode
            )
            tags.append(sentence_tags)
            unknown += n
        model_tags = [t for t, _ in predicted]
        projected = [s.tags for s in result.sentences]
        extra = {
            **result.summary(),
            **{f"translate_train/{k}": v for k, v in silver.items()},
            **self._parts(ctx, test, model_tags, projected),
            "ensemble/changed_from_model": _changed(tags, model_tags),
            "ensemble/changed_from_projection": _changed(tags, projected),
            "ensemble/unknown_projected_tags": float(unknown),
        }
        return report(ctx, tags, test, extra=extra)

    @staticmethod
    def _parts(ctx: RunContext, test, model_tags, projected) -> dict[str, float]:
        """Each part's own test scores (``translate_train/test/f1``, ``translate_test/...``),
        the numbers of its translate_train and translate_test runs."""
        scoring = Scoring.of(ctx.cfg)
        gold = [s.tags for s in test]
        return {
            f"{part}/{k}": v
            for part, tags in (("translate_train", model_tags), ("translate_test", projected))
            for k, v in scoring.metrics(tags, gold, "test").items()
        }


def _changed(tags: Sequence[Sequence[str]], other: Sequence[Sequence[str]]) -> float:
    """How many words ``tags`` tag differently from ``other``."""
    pairs = zip(tags, other, strict=True)
    return float(sum(a != b for x, y in pairs for a, b in zip(x, y, strict=True)))
