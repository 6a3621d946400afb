"""Teacher-student distillation for zero-shot cross-lingual NER (Wu et al. 2020).

Follows the reference code (microsoft/vert-papers, papers/SingleMulti-TS): the teacher's
softmax probabilities are computed once, offline, at temperature 1, and passed in as one
``[n_words, n_labels]`` array per unlabelled target sentence (the caller caches them).
The student starts from its pretrained checkpoint (as the reference) or from its teacher's
weights (``method.student_init``), with its embeddings and bottom ``freeze_layers`` encoder layers
frozen, and is trained only on the distillation loss, computed on the first subword of each word:

- ``kl`` (the default of conf/method/teacher_student.yaml, which says why): KL(teacher_T ||
  student_T) at temperature T, scaled by T², averaged over words; the teacher's tempered
  distribution is recovered from its cached T=1 probabilities as softmax(log p / T);
- ``mse`` (as in the paper): mean squared error between the student's and the teacher's
  probability vectors, averaged over words and labels;
- ``hard``: cross-entropy against the teacher's argmax label.

Teacher and student need not share a tokenizer: the probabilities are per *word*, and the
student's first subword of each word is trained on that word's distribution. Teachers with
different label sets (or orders) are mapped onto one label list first (:func:`align_labels`).
"""

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from xner.data.tags import OUTSIDE, iob2_tag_names
from xner.errors import ConfigError
from xner.models.classifier import TokenClassifier
from xner.models.settings import ModelSettings
from xner.options import Range, in_range, one_of

Loss = Literal["mse", "kl", "hard"]
LOSSES = get_args(Loss)
_EPS = 1e-12


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    kind: str,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Loss between student logits ``[N, L]`` and teacher probabilities ``[N, L]`` (words only)."""
    if student_logits.shape[0] == 0:
        return student_logits.sum() * 0.0
    if kind == "mse":
        return F.mse_loss(torch.softmax(student_logits, dim=-1), teacher_probs)
    if kind == "kl":
        t = float(temperature)
        teacher_t = torch.softmax(torch.log(teacher_probs.clamp_min(_EPS)) / t, dim=-1)
        student_log_t = torch.log_softmax(student_logits / t, dim=-1)
        return F.kl_div(student_log_t, teacher_t, reduction="batchmean") * t * t
    one_of("method.loss", kind, LOSSES)
    return F.cross_entropy(student_logits, teacher_probs.argmax(dim=-1))


def teacher_alphas(n_teachers: int, weights: Sequence[float] | None = None) -> np.ndarray:
    """Normalised teacher weights α_k: uniform by default; checked before any teacher is trained.

    ``method.teacher_weights=similarity`` reaches here already turned into numbers."""
    if n_teachers < 1:
        raise ConfigError("distillation needs at least one teacher")
    if isinstance(weights, str):
        raise ConfigError(
            f"teacher weights {weights!r} are not numbers: method.teacher_weights=similarity is "
            "turned into numbers by the teacher-student method (xner.methods.teacher_weights)"
        )
    try:
        alphas = np.ones(n_teachers) if weights is None else np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        alphas = None  # not numbers: refused below, with the weights named
    if (
        alphas is None
        or alphas.shape != (n_teachers,)
        or not (alphas >= 0).all()
        or not alphas.sum() > 0
    ):
        raise ConfigError(
            f"teacher weights {list(weights or [])} must be {n_teachers} non-negative numbers "
            "with a positive sum (method.teacher_weights, one per teacher)"
        )
    return alphas / alphas.sum()


def shared_labels(label_lists: Sequence[Sequence[str]]) -> list[str]:
    """One label list for several teachers: the first's when all have the same labels, else
    O then B-/I- of every entity type any teacher knows."""
    first = list(label_lists[0])
    if all(set(names) == set(first) for names in label_lists):
        return first
    types = {name[2:] for names in label_lists for name in names if name != OUTSIDE}
    return iob2_tag_names(types)


def align_labels(
    probs: Sequence[np.ndarray], labels: Sequence[str], target: Sequence[str]
) -> list[np.ndarray]:
    """A teacher's per-word probabilities with columns in ``target`` order; labels the teacher
    lacks get probability 0."""
    missing = [name for name in labels if name not in target]
    if missing:
        raise ConfigError(f"teacher labels {missing} are not among the student's {list(target)}")
    if list(labels) == list(target):
        return [np.asarray(p, dtype=np.float32) for p in probs]
    columns = [list(labels).index(name) for name in target if name in labels]
    slots = [i for i, name in enumerate(target) if name in labels]
    out = []
    for p in probs:
        p = np.asarray(p, dtype=np.float32)
        aligned = np.zeros((p.shape[0], len(target)), dtype=np.float32)
        aligned[:, slots] = p[:, columns]
        out.append(aligned)
    return out


def combine_teachers(
    teachers: Sequence[Sequence[np.ndarray]], weights: Sequence[float] | None = None
) -> list[np.ndarray]:
    """Multi-teacher soft labels Σ α_k p_k per sentence; uniform α by default, else normalised."""
    alphas = teacher_alphas(len(teachers), weights)
    n = len(teachers[0])
    if any(len(t) != n for t in teachers):
        raise ConfigError(
            f"teachers labelled different numbers of sentences: {[len(t) for t in teachers]}"
        )
    out = []
    for s in range(n):
        mixed = sum(
            a * np.asarray(t[s], dtype=np.float64) for a, t in zip(alphas, teachers, strict=True)
        )
        out.append(np.asarray(mixed, dtype=np.float32))
    return out


def encoder_parts(model: nn.Module) -> tuple[nn.Module | None, nn.ModuleList | None]:
    """Embeddings and the list of transformer layers of a BERT / XLM-R / DeBERTa / MiniLM model."""
    base = getattr(model, "base_model", model)
    embeddings = getattr(base, "embeddings", None)
    encoder = getattr(base, "encoder", None)
    layers = getattr(encoder, "layer", None) or getattr(encoder, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        n = getattr(getattr(model, "config", None), "num_hidden_layers", None)
        layers = next(
            (m for m in base.modules() if isinstance(m, nn.ModuleList) and len(m) == n), None
        )
    return embeddings, layers


def freeze_bottom(model: nn.Module, n_layers: int, embeddings: bool = True) -> int:
    """Freeze the embeddings and the bottom ``n_layers`` layers; returns the layers frozen."""
    emb, layers = encoder_parts(model)
    if n_layers > 0 and layers is None:
        raise ConfigError(f"cannot find the encoder layers of {type(model).__name__} to freeze")
    if embeddings and emb is not None:
        emb.requires_grad_(False)
    frozen = min(n_layers, len(layers)) if layers is not None else 0
    for layer in list(layers or [])[:frozen]:
        layer.requires_grad_(False)
    return frozen


class DistillationModule(TokenClassifier):
    """Student token classifier trained on teacher soft labels (``soft_targets`` in the batch).

    Validation (if any) and test use the TokenClassifier's gold-label scoring, so the metric
    names are the same as for every other method.
    """

    def __init__(
        self,
        settings: ModelSettings,
        label_names: Sequence[str] | None = None,
        *,
        loss: Loss,
        temperature: float,
        checkpoint: str | None = None,
    ):
        """``settings``: the student's (its frozen layers included); ``loss`` and
        ``temperature``: the method's (conf/method/teacher_student.yaml); ``checkpoint``:
        trained weights to start from instead of the pretrained ones (its teacher's)."""
        one_of("method.loss", loss, LOSSES)
        in_range("method.temperature", temperature, Range(0, open_low=True))
        super().__init__(settings, label_names, checkpoint=checkpoint)
        self.loss, self.temperature = loss, float(temperature)
        self.frozen_layers = freeze_bottom(
            self.model, int(settings.freeze_layers), bool(settings.freeze_embeddings)
        )

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits = self(batch["input_ids"], batch["attention_mask"]).logits
        mask = batch["labels"] != -100
        loss = distillation_loss(
            logits[mask].float(),
            batch["soft_targets"][mask],
            self.loss,
            self.temperature,
        )
        self.log("train/loss", loss, on_step=True, on_epoch=False, batch_size=len(logits))
        return loss
