"""awesome-align's softmax extraction over any HF encoder (the package itself is not needed)."""

from typing import Any

import numpy as np

from xner.align.extract import softmax_links
from xner.align.neural import NeuralAligner
from xner.errors import ConfigError


class AwesomeAligner(NeuralAligner):
    """Dou & Neubig (2021), "Word Alignment by Fine-tuning Embeddings on Parallel Corpora".

    Scores are dot products of layer-``layer`` subword vectors; a pair is linked when both its
    source→target softmax (over the row) and its target→source softmax (over the column) exceed
    ``threshold`` (awesome-align's ``--extraction softmax``, ``--softmax_threshold 0.001``,
    ``--align_layer 8``). Subword links become word links, as in awesome-align.
    """

    def __init__(self, *, threshold: float, **encoder: Any) -> None:
        """``threshold`` has no default here: it depends on the encoder, so each aligner file
        (conf/aligner/awesome*.yaml) is its one home. ``encoder``: the :class:`NeuralAligner`
        arguments (model, layer, level, device...)."""
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"awesome threshold must lie in (0, 1), got {threshold}")
        self.threshold = threshold
        super().__init__(**encoder)

    def extract(self, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
        return softmax_links(src.astype(np.float64) @ tgt.astype(np.float64).T, self.threshold)
