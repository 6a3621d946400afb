"""SimAlign (Jalili Sabet et al. 2020): links from embedding similarity, no parallel training."""

from typing import Any

import numpy as np

from xner.align.extract import EXTRACTORS, apply_distortion, cosine_similarity
from xner.align.neural import NeuralAligner
from xner.options import Range, in_range, one_of


class SimAlignAligner(NeuralAligner):
    """Argmax / IterMax / Match over cosine similarities of one encoder layer.

    Similarities and extraction are computed here (``xner.align.extract``, ports of the
    ``simalign`` package's methods) from our own batched embeddings, so any HF encoder works:
    a hub id, a local folder, ``minilm`` (the bundled offline model) or a tiny random model.
    """

    def __init__(self, *, method: str = "itermax", distortion: float = 0.0, **encoder: Any) -> None:
        """``encoder``: the :class:`NeuralAligner` arguments (model, layer, level, device...)."""
        self.method = one_of("aligner.method", method, sorted(EXTRACTORS))
        self.distortion = in_range("aligner.distortion", distortion, Range(0, 1))
        super().__init__(**encoder)

    def extract(self, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
        sim = apply_distortion(cosine_similarity(src, tgt), self.distortion)
        return EXTRACTORS[self.method](sim)
