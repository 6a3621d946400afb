"""Per-word label probabilities to tags: the one decoding every model output goes through.

``viterbi`` returns the most probable tag sequence among those IOB2 allows (no ``I-X`` at the
sentence start, after ``O`` or after another type), so every method's predictions are valid
spans and are scored by the same rule as projections. ``argmax`` (per word, possibly invalid
IOB2) stays selectable for comparison.
"""

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from xner.data.tags import OUTSIDE, split_tag
from xner.options import one_of

DECODERS = ("viterbi", "argmax")
_FLOOR = 1e-12


@lru_cache(maxsize=64)
def allowed_transitions(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """IOB2 constraints as boolean ``start[k]`` and ``transition[prev, next]`` masks."""
    parsed = [split_tag(name) for name in names]
    for name, (prefix, _) in zip(names, parsed, strict=True):
        if prefix not in ("B", "I", OUTSIDE):
            raise ValueError(f"label {name!r}: constrained decoding needs IOB2 (B-/I-/O) labels")
    inside = np.array([prefix == "I" for prefix, _ in parsed])
    labels = np.array([label for _, label in parsed], dtype=object)
    start = ~inside
    same_type = (labels[:, None] == labels[None, :]) & (labels[:, None] != "")
    transition = ~inside[None, :] | same_type
    return start, transition


def viterbi(log_probs: np.ndarray, start: np.ndarray, transition: np.ndarray) -> list[int]:
    """Best label indices ``[n_words]`` of ``log_probs [n_words, n_labels]`` under the masks."""
    n_words = log_probs.shape[0]
    if n_words == 0:
        return []
    penalty = np.where(transition, 0.0, -np.inf)
    score = np.where(start, log_probs[0], -np.inf)
    back = np.zeros(log_probs.shape, dtype=np.int64)
    for t in range(1, n_words):
        candidates = score[:, None] + penalty
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def decode(probs: np.ndarray, names: Sequence[str], mode: str = "viterbi") -> list[str]:
    """Tags of one sentence from its per-word probabilities ``[n_words, len(names)]``."""
    one_of("decode", mode, DECODERS, error=ValueError)
    probs = np.asarray(probs, dtype=np.float64)
    if len(probs) == 0:
        return []
    if mode == "argmax":
        return [names[k] for k in probs.argmax(axis=1)]
    start, transition = allowed_transitions(tuple(names))
    path = viterbi(np.log(np.clip(probs, _FLOOR, None)), start, transition)
    return [names[k] for k in path]
