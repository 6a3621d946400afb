"""Teacher weights from language similarity (Wu et al. 2020, multi-source teacher-student).

A language-identification classifier is trained on sentence representations f(x) of the
source languages' unlabelled text; the weight of teacher k is the mean, over the target
language's unlabelled sentences, of the probability that the classifier gives language k.
The weights sum to 1 and favour the sources whose text the target resembles.

Follows the reference code (microsoft/vert-papers, papers/SingleMulti-TS, ``domain_learner.py``
and ``modeling.py:DomainLearner``):

- one language embedding mu_k per source language, initialised at the mean of that language's
  f(x); the score of language k is the low-rank bilinear (U f(x) + b_U) . (V mu_k + b_V)
  (``rank`` r; the reference run script uses 64), or, with ``rank=None``, the plain linear
  score mu_k . f(x) (a linear layer W = [mu_1..mu_K] over f(x));
- loss: cross-entropy + gamma * ||M M^T - I_K||_F^2, M the K x d matrix of the mu_k. The
  reference penalises ||M^T M - I_d||_F^2, which differs from this by the constant d - K (both
  are sum_i (lambda_i - 1)^2 over the eigenvalues of M M^T, plus d - K): same gradients;
- AdamW (weight decay 1e-5), learning rate decaying linearly to 0, gradients clipped to norm 1,
  shuffled mini-batches, ``epochs`` passes;
- the target's scores are multiplied by tau = 1 / var (``tau="var"``, the reference run
  script's choice) or 1 / std of all its scores before the softmax (``"none"``: tau = 1).

Pure: numpy in, numpy out; the torch randomness is seeded inside and the global random state
is left as it was.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import torch
from torch import nn

from xner.errors import ConfigError
from xner.options import Range, check_fields

Tau = Literal["var", "std", "none"]


@dataclass(frozen=True)
class SimilaritySettings:
    """The language-identification classifier's settings (``method.similarity``)."""

    rank: Annotated[int, Range(1)] | None = 64
    gamma: Annotated[float, Range(0)] = 0.01
    epochs: Annotated[int, Range(1)] = 10
    lr: Annotated[float, Range(0, open_low=True)] = 1e-4
    batch_size: Annotated[int, Range(1)] = 32
    weight_decay: float = 1e-5
    tau: Tau = "var"

    def __post_init__(self) -> None:
        check_fields(self, "method.similarity")


class LanguageIdentifier(nn.Module):
    """Scores of K languages for sentence representations ``[N, d]`` -> ``[N, K]``."""

    def __init__(self, means: torch.Tensor, rank: int | None) -> None:
        super().__init__()
        self.embeddings = nn.Parameter(means.clone())  # M: [K, d], mu_k at language k's mean
        dim = means.shape[1]
        self.u = nn.Linear(dim, rank, dtype=means.dtype) if rank else None
        self.v = nn.Linear(dim, rank, dtype=means.dtype) if rank else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.u is None or self.v is None:
            return features @ self.embeddings.T
        return self.u(features) @ self.v(self.embeddings).T

    def orthogonality(self) -> torch.Tensor:
        """||M M^T - I_K||_F^2: the language embeddings pushed towards an orthonormal set."""
        gram = self.embeddings @ self.embeddings.T
        eye = torch.eye(gram.shape[0], dtype=gram.dtype)
        return ((gram - eye) ** 2).sum()


def _checked(source_features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not source_features:
        raise ConfigError("similarity weights need at least one source language")
    arrays = {
        lang: np.ascontiguousarray(f, dtype=np.float64) for lang, f in source_features.items()
    }
    dims = {a.shape[1] if a.ndim == 2 else None for a in arrays.values()}
    if len(dims) != 1 or None in dims:
        shapes = {lang: a.shape for lang, a in arrays.items()}
        raise ConfigError(f"source sentence features must be [n, d] arrays of one d: {shapes}")
    empty = [lang for lang, a in arrays.items() if len(a) == 0]
    if empty:
        raise ConfigError(f"no unlabelled sentences to identify source language(s) {empty} by")
    return arrays


def train_identifier(
    source_features: Mapping[str, np.ndarray],
    settings: SimilaritySettings = SimilaritySettings(),
    seed: int = 0,
) -> LanguageIdentifier:
    """The language-identification classifier trained on the source languages' features."""
    arrays = _checked(source_features)
    x = torch.from_numpy(np.concatenate(list(arrays.values())))
    y = torch.cat(
        [torch.full((len(a),), k, dtype=torch.long) for k, a in enumerate(arrays.values())]
    )
    means = torch.stack([torch.from_numpy(a).mean(dim=0) for a in arrays.values()])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = LanguageIdentifier(means, settings.rank)
        order = torch.Generator().manual_seed(int(seed))
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay, eps=1e-8
        )
        batches = -(-len(x) // settings.batch_size)
        total = batches * settings.epochs
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _ in range(settings.epochs):
            perm = torch.randperm(len(x), generator=order)
            for start in range(0, len(x), settings.batch_size):
                batch = perm[start : start + settings.batch_size]
                optimizer.zero_grad()
                loss = loss_fn(model(x[batch]), y[batch])
                loss = loss + settings.gamma * model.orthogonality()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
    return model.eval()


def domain_weights(logits: np.ndarray, langs: list[str], tau: str = "var") -> dict[str, float]:
    """alpha_k = mean over target sentences of softmax(tau * scores)_k (scores ``[N, K]``)."""
    scores = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    if scores.ndim != 2 or scores.shape[1] != len(langs) or scores.shape[0] == 0:
        raise ConfigError(
            f"language scores of shape {tuple(scores.shape)} for {len(langs)} source languages: "
            "need at least one target sentence"
        )
    spread = scores.var() if tau == "var" else scores.std() if tau == "std" else None
    if spread is not None and scores.numel() > 1 and float(spread) > 0:
        scores = scores / spread  # tau = 1 / spread
    weights = torch.softmax(scores, dim=-1).mean(dim=0).tolist()
    return {lang: float(w) for lang, w in zip(langs, weights, strict=True)}


def similarity_weights(
    source_features: Mapping[str, np.ndarray],
    target_features: np.ndarray,
    settings: SimilaritySettings = SimilaritySettings(),
    seed: int = 0,
) -> dict[str, float]:
    """One weight per source language (summing to 1) from the target's unlabelled sentences."""
    langs = list(source_features)
    if len(langs) == 1:
        return {langs[0]: 1.0}
    target = np.ascontiguousarray(target_features, dtype=np.float64)
    dim = np.asarray(next(iter(source_features.values()))).shape[-1]
    if target.ndim != 2 or target.shape[1] != dim:
        raise ConfigError(
            f"target sentence features of shape {target.shape} do not match the sources' d={dim}"
        )
    model = train_identifier(source_features, settings, seed)
    with torch.no_grad():
        logits = model(torch.from_numpy(target)).numpy()
    return domain_weights(logits, langs, settings.tau)
