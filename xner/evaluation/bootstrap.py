"""Paired bootstrap over test sentences: is a difference of two systems larger than noise?

Both systems' per-sentence counts (correct, predicted, gold) are resampled with the same
sentence draws, so the interval reflects the test set's sampling noise and not a mismatch
between the systems' samples. Several seeds of one system are averaged inside each draw.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

N_RESAMPLES = 1000
SEED = 0


@dataclass(frozen=True)
class Difference:
    """A − B in points (F1 × scale), its 95 % percentile interval and a two-sided p-value."""

    delta: float
    low: float
    high: float
    p_value: float
    n_sentences: int
    n_resamples: int

    def __str__(self) -> str:
        return f"{self.delta:+.1f} [{self.low:+.1f}, {self.high:+.1f}]"

    def as_dict(self) -> dict:
        return {
            "delta": self.delta,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "n_sentences": self.n_sentences,
            "n_resamples": self.n_resamples,
        }


def _f1(sums: np.ndarray) -> np.ndarray:
    """F1 of count sums ``[..., 3]`` (correct, predicted, gold); 0 where nothing was found."""
    denominator = sums[..., 1] + sums[..., 2]
    return np.divide(
        2.0 * sums[..., 0], denominator, out=np.zeros(denominator.shape), where=denominator > 0
    )


def _mean_f1(matrices: Sequence[np.ndarray], weights: np.ndarray | None) -> np.ndarray:
    """Mean F1 over seeds, for each draw (rows of ``weights``) or for the sample itself."""
    if weights is None:
        return np.mean([_f1(m.sum(axis=0)) for m in matrices], axis=0)
    return np.mean([_f1(weights @ m) for m in matrices], axis=0)


def paired_bootstrap(
    a: Sequence[np.ndarray],
    b: Sequence[np.ndarray],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    scale: float = 100.0,
) -> Difference:
    """Difference of mean F1 (A − B), resampling the shared test sentences ``n_resamples`` times."""
    if not a or not b:
        raise ValueError("paired bootstrap needs at least one run on each side")
    n = len(a[0])
    if any(len(m) != n for m in [*a, *b]):
        raise ValueError("paired bootstrap needs counts over the same test sentences")
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(np.float64)
    observed = float(_mean_f1(a, None) - _mean_f1(b, None)) * scale
    draws = (_mean_f1(a, weights) - _mean_f1(b, weights)) * scale
    low, high = np.percentile(draws, [2.5, 97.5])
    extreme = np.count_nonzero(np.abs(draws - observed) >= abs(observed) - 1e-12)
    p_value = (1 + extreme) / (n_resamples + 1) if n else 1.0
    return Difference(observed, float(low), float(high), float(p_value), n, n_resamples)


def pooled_bootstrap(
    pairs: Sequence[tuple[Sequence[np.ndarray], Sequence[np.ndarray]]],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    scale: float = 100.0,
) -> Difference:
    """Mean over languages of their differences (A − B), each language's test sentences
    resampled within it: the interval of a table's mean-row gap."""
    if not pairs:
        raise ValueError("pooled bootstrap needs at least one language")
    rng = np.random.default_rng(seed)
    observed, draws, total = [], np.zeros(n_resamples), 0
    for a, b in pairs:
        if not a or not b:
            raise ValueError("paired bootstrap needs at least one run on each side")
        n = len(a[0])
        if any(len(m) != n for m in [*a, *b]):
            raise ValueError("paired bootstrap needs counts over the same test sentences")
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(np.float64)
        observed.append(float(_mean_f1(a, None) - _mean_f1(b, None)) * scale)
        draws += (_mean_f1(a, weights) - _mean_f1(b, weights)) * scale
        total += n
    draws /= len(pairs)
    delta = float(np.mean(observed))
    low, high = np.percentile(draws, [2.5, 97.5])
    extreme = np.count_nonzero(np.abs(draws - delta) >= abs(delta) - 1e-12)
    p_value = (1 + extreme) / (n_resamples + 1) if total else 1.0
    return Difference(delta, float(low), float(high), float(p_value), total, n_resamples)


def f1_interval(
    matrices: Sequence[np.ndarray],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    scale: float = 100.0,
) -> tuple[float, float]:
    """95 % percentile interval of one cell's mean F1 over its seeds, test sentences resampled:
    the uncertainty a one-seed cell otherwise lacks."""
    n = len(matrices[0])
    if any(len(m) != n for m in matrices):
        raise ValueError("a cell's runs need counts over the same test sentences")
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(np.float64)
    low, high = np.percentile(_mean_f1(matrices, weights) * scale, [2.5, 97.5])
    return float(low), float(high)
