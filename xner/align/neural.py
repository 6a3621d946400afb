"""Shared machinery of the embedding-based aligners: lazy encoder, batching, token↔word maps."""

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from xner.align.base import VIAS, Aligner, Link, SentencePair, check_links
from xner.align.encoder import Encoder, check_layer, load_config
from xner.align.extract import links_from_matrix
from xner.align.subwords import SubwordVectors, pool_words
from xner.errors import ConfigError
from xner.models.registry import resolve_checkpoint
from xner.options import Range, in_range, one_of

LEVELS = ("subword", "word")


class NeuralAligner(Aligner):
    """Embeds both sides with one encoder layer and extracts links from a token score matrix.

    ``level="subword"`` scores subword pairs and maps each subword link to its words (as
    SimAlign's ``bpe`` mode and awesome-align do); ``level="word"`` first pools subwords into
    word vectors (mean) and scores word pairs. The encoder is loaded on the first ``align``
    call, so building the object (e.g. on a cache hit) costs nothing; the layer is checked
    against the model's config right away when that config can be read.
    """

    def __init__(
        self,
        *,
        model: str,
        layer: int,
        level: str,
        batch_size: int,
        device: str,
        max_length: int | None,
        block_size: int,
        via: str,
        trust_remote_code: bool = False,
    ) -> None:
        if isinstance(layer, bool) or not isinstance(layer, int):
            raise ConfigError(f"aligner.layer={layer!r}: must be a whole number >= 0")
        self.model = model
        self.layer = in_range("aligner.layer", layer, Range(0))
        self.level = one_of("aligner.level", level, LEVELS)
        self.batch_size = in_range("aligner.batch_size", batch_size, Range(1))
        self.device = device
        self.max_length = max_length
        self.block_size = in_range("aligner.block_size", block_size, Range(1))
        self.via = one_of("aligner.via", via, VIAS)
        self.trust_remote_code = trust_remote_code
        self._encoder: Encoder | None = None
        self._check_layer_early()

    def _check_layer_early(self) -> None:
        """Reading the config is cheap; a model that cannot be read now never loads later."""
        config = load_config(resolve_checkpoint(self.model), self.trust_remote_code)
        check_layer(self.layer, config, self.model)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = Encoder(
                self.model,
                self.layer,
                self.device,
                self.batch_size,
                self.max_length,
                self.trust_remote_code,
            )
        return self._encoder

    def align(self, pairs: Sequence[SentencePair]) -> list[set[Link]]:
        out: list[set[Link]] = []
        blocks = range(0, len(pairs), self.block_size)
        for start in tqdm(blocks, desc="aligning", unit="block", disable=None):
            block = pairs[start : start + self.block_size]
            sentences = [list(s) for s, _ in block] + [list(t) for _, t in block]
            vectors = self.encoder.subword_vectors(sentences)
            for k, (src, tgt) in enumerate(block):
                links = self.links(vectors[k], vectors[len(block) + k])
                check_links(links, len(src), len(tgt), start + k)
                out.append(links)
        return out

    def links(self, src: SubwordVectors, tgt: SubwordVectors) -> set[Link]:
        """Word links of one pair from its two sides' subword vectors (of this aligner's layer)."""
        src_vectors, src_words = self._tokens(src)
        tgt_vectors, tgt_words = self._tokens(tgt)
        if len(src_words) == 0 or len(tgt_words) == 0:
            return set()
        return links_from_matrix(self.extract(src_vectors, tgt_vectors), src_words, tgt_words)

    def _tokens(self, sub: SubwordVectors) -> tuple[np.ndarray, np.ndarray]:
        """The vectors to score and the word index of each (uncovered words left out)."""
        if self.level == "subword":
            return sub.vectors, sub.word_index
        words = pool_words(sub)
        kept = np.flatnonzero(words.covered)
        return words.vectors[kept], kept

    @abstractmethod
    def extract(self, src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
        """Boolean link matrix [len(src), len(tgt)] from the two sides' token vectors."""
