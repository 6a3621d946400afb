"""Entity-level scoring: seqeval in strict IOB2 mode, the one metric every method reports.

Strict mode counts an entity as correct only when its type and both boundaries match; an
``I-X`` that follows nothing is no entity at all (it is not silently turned into one).
"""

import warnings
from collections.abc import Iterable, Mapping, Sequence

from xner.data.conll import TaggedSentence
from xner.data.tags import filter_labels
from xner.errors import DataError

METRICS = ("precision", "recall", "f1")


def score(
    pred: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    ignore: Iterable[str] = (),
) -> dict:
    """Micro P/R/F1 and per-type scores; labels in ``ignore`` become O on both sides first."""
    from seqeval.metrics.v1 import precision_recall_fscore_support, unique_labels
    from seqeval.scheme import IOB2

    if len(pred) != len(gold):
        raise DataError(f"{len(pred)} predicted sentences but {len(gold)} gold sentences")
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        if len(p) != len(g):
            raise DataError(f"sentence {i}: {len(p)} predicted tags but {len(g)} gold tags")
    drop = set(ignore)
    y_pred = [filter_labels(tags, drop) for tags in pred]
    y_true = [filter_labels(tags, drop) for tags in gold]
    result: dict = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "per_type": {}}
    if not y_true:
        return result
    options = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = unique_labels(y_true, y_pred, IOB2)
        micro = precision_recall_fscore_support(y_true, y_pred, average="micro", **options)
        per_type = precision_recall_fscore_support(y_true, y_pred, average=None, **options)
    result.update(_numbers(*micro))
    for i, label in enumerate(labels):
        result["per_type"][label] = _numbers(*(column[i] for column in per_type))
    return result


def _numbers(precision, recall, f1, support) -> dict:
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "support": int(support),
    }


def check_aligned(
    pred: Sequence[TaggedSentence],
    gold: Sequence[TaggedSentence],
    pred_name: str = "prediction",
    gold_name: str = "gold",
) -> None:
    """Refuse to score files whose sentences or tokens differ; name the first difference."""
    for i, (p, g) in enumerate(zip(pred, gold, strict=False)):
        if p.words == g.words:
            continue
        j = next(
            (k for k, (a, b) in enumerate(zip(p.words, g.words, strict=False)) if a != b),
            min(len(p), len(g)),
        )
        first = f"first differing token {j}: {_token(p.words, j)} vs {_token(g.words, j)}"
        raise DataError(
            f"{pred_name} and {gold_name} differ at sentence {i} (0-based): "
            f"{len(p)} vs {len(g)} tokens; {first}"
        )
    if len(pred) != len(gold):
        raise DataError(
            f"{pred_name} has {len(pred)} sentences but {gold_name} has {len(gold)}; "
            f"the first {min(len(pred), len(gold))} match"
        )


def _token(words: Sequence[str], j: int) -> str:
    return repr(words[j]) if j < len(words) else "(end of sentence)"


def score_sentences(
    pred: Sequence[TaggedSentence],
    gold: Sequence[TaggedSentence],
    ignore: Iterable[str] = (),
    pred_name: str = "prediction",
    gold_name: str = "gold",
) -> dict:
    """Check that the two files line up, then score them."""
    check_aligned(pred, gold, pred_name, gold_name)
    return score([s.tags for s in pred], [s.tags for s in gold], ignore)


def metric_dict(scores: Mapping, split: str = "test") -> dict[str, float]:
    """Flat MLflow metric names: ``test/f1``, ``test/precision_PER``, ``test/f1_PER``, ..."""
    out = {f"{split}/{name}": float(scores[name]) for name in METRICS}
    for label, numbers in sorted(scores.get("per_type", {}).items()):
        for name in METRICS:
            out[f"{split}/{name}_{label}"] = float(numbers[name])
    return out


def format_report(scores: Mapping, digits: int = 4) -> str:
    """Human-readable summary line plus a per-type table (the classification report)."""
    lines = [
        f"P = {scores['precision']:.{digits}f}  R = {scores['recall']:.{digits}f}  "
        f"F1 = {scores['f1']:.{digits}f}  (gold entities: {scores['support']})",
        "",
        f"{'type':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    rows = [*sorted(scores.get("per_type", {}).items()), ("micro avg", scores)]
    for label, n in rows:
        lines.append(
            f"{label:<12}{n['precision']:>10.{digits}f}{n['recall']:>10.{digits}f}"
            f"{n['f1']:>10.{digits}f}{n['support']:>10d}"
        )
    return "\n".join(lines)
