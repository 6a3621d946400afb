"""The aligner interface shared by every alignment method."""

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import Literal, get_args

from xner.errors import DataError

Link = tuple[int, int]
SentencePair = tuple[Sequence[str], Sequence[str]]
# What the pipeline aligns the target with: the target itself or its back-translation.
Via = Literal["direct", "backtranslation"]
VIAS = get_args(Via)


class Aligner(ABC):
    """Aligns batches of sentence pairs; link (i, j) joins source word i to target word j.

    An aligner that ``learns_from_text`` (a statistical one such as eflomal) also takes
    ``align(pairs, training=...)``: more parallel pairs it learns from but returns no links for.
    """

    learns_from_text = False
    via: Via = "direct"

    @abstractmethod
    def align(self, pairs: Sequence[SentencePair]) -> list[set[Link]]: ...


def check_links(links: Collection[Link], n_src: int, n_tgt: int, sentence: int) -> None:
    """Refuse links that point outside either sentence, naming the sentence pair."""
    for i, j in links:
        if not (0 <= i < n_src and 0 <= j < n_tgt):
            raise DataError(
                f"sentence pair {sentence}: alignment link ({i}, {j}) lies outside the sentences "
                f"({n_src} source words, {n_tgt} target words)"
            )
