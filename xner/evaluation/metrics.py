"""Entity-level scoring with seqeval's entity rules, the one metric every method reports.

``conlleval`` (the default) is seqeval's default mode, i.e. the CoNLL script: an ``I-X`` after
``O`` or after another type starts a new entity. It is how MasakhaNER 2.0, the reference
projection paper and Wu et al. (2020) score, so xner's numbers compare with theirs. ``strict``
is seqeval's strict IOB2 mode: such an ``I-X`` belongs to no entity. An entity is correct when
its type and both boundaries match. Scores are built from per-sentence counts, which the
paired bootstrap (:mod:`xner.evaluation.bootstrap`) resamples.
"""

import hashlib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xner.data.conll import TaggedSentence
from xner.data.tags import filter_labels
from xner.errors import DataError
from xner.options import one_of

METRICS = ("precision", "recall", "f1")
MODES = ("conlleval", "strict")
DEFAULT_MODE = "conlleval"
Span = tuple[int, int, str]


def span_reader(mode: str = DEFAULT_MODE) -> Callable[[Sequence[str]], set[Span]]:
    """The (start, end exclusive, type) entity reader of a mode, resolved once per file."""
    from seqeval.metrics.sequence_labeling import get_entities
    from seqeval.scheme import IOB2, Entities

    def conlleval(tags: Sequence[str]) -> set[Span]:
        return {(start, end + 1, label) for label, start, end in get_entities(list(tags))}

    def strict(tags: Sequence[str]) -> set[Span]:
        found = Entities([list(tags)], IOB2).entities[0] if tags else []
        return {(e.start, e.end, e.tag) for e in found}

    readers = {"conlleval": conlleval, "strict": strict}
    return readers[one_of("score_mode", mode, MODES, error=ValueError)]


@dataclass(frozen=True)
class Counts:
    """Per-sentence entity counts: ``matrix[i] = (correct, predicted, gold)`` of sentence i."""

    matrix: np.ndarray
    per_type: Mapping[str, tuple[int, int, int]]

    def totals(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.matrix.sum(axis=0))  # type: ignore[return-value]


def count(
    pred: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    ignore: Iterable[str] = (),
    mode: str = DEFAULT_MODE,
) -> Counts:
    """Correct / predicted / gold entities per sentence; ``ignore`` labels become O first."""
    if len(pred) != len(gold):
        raise DataError(f"{len(pred)} predicted sentences but {len(gold)} gold sentences")
    drop, read = set(ignore), span_reader(mode)
    matrix = np.zeros((len(gold), 3), dtype=np.int64)
    per_type: dict[str, list[int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
            if len(p) != len(g):
                raise DataError(f"sentence {i}: {len(p)} predicted tags but {len(g)} gold tags")
            found, truth = read(filter_labels(p, drop)), read(filter_labels(g, drop))
            matrix[i] = (len(found & truth), len(found), len(truth))
            for column, group in enumerate((found & truth, found, truth)):
                for _, _, label in group:
                    per_type.setdefault(label, [0, 0, 0])[column] += 1
    return Counts(matrix, {k: tuple(v) for k, v in per_type.items()})  # type: ignore[misc]


def f1_of(correct: float, predicted: float, gold: float) -> float:
    return 2 * correct / (predicted + gold) if predicted + gold else 0.0


def _numbers(correct: int, predicted: int, gold: int) -> dict:
    return {
        "precision": correct / predicted if predicted else 0.0,
        "recall": correct / gold if gold else 0.0,
        "f1": f1_of(correct, predicted, gold),
        "support": int(gold),
    }


def from_counts(counts: Counts, mode: str = DEFAULT_MODE) -> dict:
    """Micro P/R/F1 (and per type) from counts: equal to seqeval's for the same mode."""
    result = {**_numbers(*counts.totals()), "mode": mode}
    result["per_type"] = {
        label: _numbers(*counts.per_type[label]) for label in sorted(counts.per_type)
    }
    return result


def score(
    pred: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    ignore: Iterable[str] = (),
    mode: str = DEFAULT_MODE,
) -> dict:
    """Micro P/R/F1 and per-type scores; labels in ``ignore`` become O on both sides first."""
    return from_counts(count(pred, gold, ignore, mode), mode)


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
    mode: str = DEFAULT_MODE,
) -> dict:
    """Check that the two files line up, then score them."""
    check_aligned(pred, gold, pred_name, gold_name)
    return score([s.tags for s in pred], [s.tags for s in gold], ignore, mode)


def sentences_digest(gold: Sequence[TaggedSentence]) -> str:
    """Fingerprint of the scored sentences (words and gold tags): paired runs must share it."""
    digest = hashlib.sha256()
    for sentence in gold:
        digest.update("\x1f".join(sentence.words).encode())
        digest.update(b"\x1e")
        digest.update("\x1f".join(sentence.tags).encode())
        digest.update(b"\x1d")
    return digest.hexdigest()[:16]


def metric_dict(scores: Mapping, split: str = "test") -> dict[str, float]:
    """Flat MLflow metric names: ``test/f1``, ``test/precision_PER``, ``test/f1_PER``, ..."""
    out = {f"{split}/{name}": float(scores[name]) for name in METRICS}
    for label, numbers in sorted(scores.get("per_type", {}).items()):
        for name in METRICS:
            out[f"{split}/{name}_{label}"] = float(numbers[name])
    return out


def format_report(scores: Mapping, digits: int = 4) -> str:
    """Human-readable summary line plus a per-type table (the classification report)."""
    mode = f"  [{scores['mode']}]" if scores.get("mode") else ""
    lines = [
        f"P = {scores['precision']:.{digits}f}  R = {scores['recall']:.{digits}f}  "
        f"F1 = {scores['f1']:.{digits}f}  (gold entities: {scores['support']}){mode}",
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
