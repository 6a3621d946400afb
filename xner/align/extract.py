"""Alignment extraction: pure functions from a similarity matrix to a boolean link matrix.

Rows are source tokens, columns target tokens. Every function returns a boolean matrix of the
same shape; ``links_from_matrix`` turns it into word links. The SimAlign methods
(Jalili Sabet et al. 2020, "SimAlign: High Quality Word Alignments without Parallel Training
Data using Static and Contextualized Embeddings") are ports of the `simalign` package's
``SentenceAligner`` static methods, checked against it in the tests; they live here so that the
aligners do not import that package (and its model zoo) at run time.
"""

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from xner.align.base import Link


def cosine_similarity(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """SimAlign's similarity: cosine rescaled to [0, 1]; a zero vector has cosine 0 with all."""
    src_norm = np.linalg.norm(src, axis=1, keepdims=True)
    tgt_norm = np.linalg.norm(tgt, axis=1, keepdims=True)
    src_unit = src / np.where(src_norm > 0, src_norm, 1.0)
    tgt_unit = tgt / np.where(tgt_norm > 0, tgt_norm, 1.0)
    return (src_unit @ tgt_unit.T + 1.0) / 2.0


def apply_distortion(sim: np.ndarray, ratio: float) -> np.ndarray:
    """Penalise links far from the diagonal (relative positions): sim · (1 − ratio·Δ²)."""
    m, n = sim.shape
    if m < 2 or n < 2 or ratio == 0.0:
        return sim
    src_pos = np.arange(m)[:, None] / (m - 1)
    tgt_pos = np.arange(n)[None, :] / (n - 1)
    return sim * (1.0 - ratio * (tgt_pos - src_pos) ** 2)


def _empty(sim: np.ndarray) -> bool:
    return sim.shape[0] == 0 or sim.shape[1] == 0


def forward_links(sim: np.ndarray) -> np.ndarray:
    """Each source token links to its most similar target token (first on ties)."""
    out = np.zeros(sim.shape, dtype=bool)
    if not _empty(sim):
        out[np.arange(sim.shape[0]), sim.argmax(axis=1)] = True
    return out


def backward_links(sim: np.ndarray) -> np.ndarray:
    """Each target token links to its most similar source token (first on ties)."""
    out = np.zeros(sim.shape, dtype=bool)
    if not _empty(sim):
        out[sim.argmax(axis=0), np.arange(sim.shape[1])] = True
    return out


def argmax_links(sim: np.ndarray) -> np.ndarray:
    """SimAlign Argmax: keep (i, j) when j is i's best match and i is j's best match."""
    return forward_links(sim) & backward_links(sim)


def itermax_links(sim: np.ndarray, max_count: int = 2, alpha_ratio: float = 0.9) -> np.ndarray:
    """SimAlign IterMax: Argmax, then repeated Argmax on words left unaligned on one side.

    In later rounds a pair where both words are already aligned is excluded, and a pair where one
    of them is aligned has its similarity scaled by ``alpha_ratio``. Stops after ``max_count``
    rounds or when a round adds nothing.
    """
    m, n = sim.shape
    inter = argmax_links(sim).astype(float)
    if _empty(sim) or min(m, n) <= 2:
        return inter.astype(bool)
    for _ in range(max_count - 1):
        src_free = 1.0 - np.clip(inter.sum(axis=1), 0.0, 1.0)[:, None] * np.ones((1, n))
        tgt_free = 1.0 - np.clip(inter.sum(axis=0), 0.0, 1.0)[None, :] * np.ones((m, 1))
        weight = np.clip(alpha_ratio * src_free + alpha_ratio * tgt_free, 0.0, 1.0)
        allowed = 1.0 - (1.0 - src_free) * (1.0 - tgt_free)
        if src_free.sum() < 1.0 or tgt_free.sum() < 1.0:
            weight *= 0.0
            allowed *= 0.0
        new_sim = sim * weight
        new = (forward_links(new_sim) * allowed) * (backward_links(new_sim) * allowed)
        if np.array_equal(inter + new, inter):
            break
        inter = inter + new
    return inter > 0


def match_links(sim: np.ndarray) -> np.ndarray:
    """SimAlign Match: the maximum-weight matching of maximum cardinality (min(m, n) links).

    SimAlign solves it with networkx's blossom algorithm; on a complete bipartite graph this is
    the rectangular assignment problem, solved here by scipy's Hungarian-type solver (same
    optimum, much faster; ties may pick a different matching of equal weight).
    """
    out = np.zeros(sim.shape, dtype=bool)
    if not _empty(sim):
        rows, cols = linear_sum_assignment(sim, maximize=True)
        out[rows, cols] = True
    return out


def softmax_links(scores: np.ndarray, threshold: float = 0.001) -> np.ndarray:
    """awesome-align's "softmax" extraction (Dou & Neubig 2021, "Word Alignment by Fine-tuning
    Embeddings on Parallel Corpora"): keep (i, j) when both the row softmax (source→target) and
    the column softmax (target→source) of the dot-product scores exceed ``threshold``."""
    if _empty(scores):
        return np.zeros(scores.shape, dtype=bool)
    scores = scores.astype(np.float64)
    rows = np.exp(scores - scores.max(axis=1, keepdims=True))
    rows /= rows.sum(axis=1, keepdims=True)
    cols = np.exp(scores - scores.max(axis=0, keepdims=True))
    cols /= cols.sum(axis=0, keepdims=True)
    return (rows > threshold) & (cols > threshold)


EXTRACTORS = {"argmax": argmax_links, "itermax": itermax_links, "match": match_links}


def links_from_matrix(
    mask: np.ndarray, src_words: Sequence[int] | np.ndarray, tgt_words: Sequence[int] | np.ndarray
) -> set[Link]:
    """Word links from a token-level link matrix; ``*_words[k]`` is the word of row/column k."""
    rows, cols = np.nonzero(mask)
    src = np.asarray(src_words)
    tgt = np.asarray(tgt_words)
    return {(int(i), int(j)) for i, j in zip(src[rows], tgt[cols], strict=True)}
