"""The labeller interface: word-tokenised sentences in, IOB2 tags (and probabilities) out."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Labelled:
    """Tags of one sentence; ``probs`` [words, len(label_names)] when the labeller has them."""

    tags: list[str]
    probs: np.ndarray | None = None
    label_names: list[str] | None = None


class Labeler(ABC):
    #: Whether it labels with a model (the source model or ``labeler.checkpoint``); the gold
    #: labeller looks tags up instead (preflight then checks no model, no source training split).
    needs_model: bool = True

    @abstractmethod
    def label(self, sentences: Sequence[Sequence[str]]) -> list[Labelled]: ...
