"""Target candidates for the ILP projector: every word n-gram up to a maximum length.

Candidates are kept as two parallel integer arrays (starts, ends; end exclusive) so that every
score is computed for all candidates of a sentence at once with numpy.
"""

from collections.abc import Collection, Sequence

import numpy as np

from xner.data.entity import Entity

MAX_LEN = 10

_SPAN_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def ngram_spans(n_words: int, max_len: int = MAX_LEN) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of all n-grams of length 1..max_len, ordered by start then length."""
    key = (n_words, max_len)
    cached = _SPAN_CACHE.get(key)
    if cached is None:
        starts = [a for a in range(n_words) for _ in range(min(max_len, n_words - a))]
        ends = [a + k for a in range(n_words) for k in range(1, min(max_len, n_words - a) + 1)]
        cached = (np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))
        cached[0].flags.writeable = False
        cached[1].flags.writeable = False
        if len(_SPAN_CACHE) < 4096:
            _SPAN_CACHE[key] = cached
    return cached


def link_counts(
    src_entities: Sequence[Entity], n_tgt: int, links: Collection[tuple[int, int]]
) -> np.ndarray:
    """[entities, target words] number of links from each entity's words to each target word."""
    counts = np.zeros((len(src_entities), n_tgt), dtype=np.int64)
    if not links or not src_entities:
        return counts
    owner: dict[int, int] = {}
    for e, ent in enumerate(src_entities):
        for i in range(ent.start, ent.end):
            owner[i] = e
    for i, j in links:
        e = owner.get(i)
        if e is not None:
            counts[e, j] += 1
    return counts


def aligned_window(counts: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """[entities, candidates] mask: the candidate lies between the entity's leftmost and
    rightmost aligned target words (all other candidates are dominated under align scores)."""
    has = counts > 0
    n = counts.shape[1]
    lo = np.where(has.any(axis=1), has.argmax(axis=1), n)
    hi = np.where(has.any(axis=1), n - has[:, ::-1].argmax(axis=1), 0)
    return (starts[None, :] >= lo[:, None]) & (ends[None, :] <= hi[:, None])
