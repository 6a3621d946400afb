"""Links words spelt alike: names and numbers a translation keeps (docs/how-to/add-aligner.md)."""

import unicodedata
from collections.abc import Sequence

from xner.align.base import Aligner, Link, SentencePair


def fold(word: str) -> str:
    """Lowercase, without diacritics: ``Lagos``, ``lagos`` and ``Lágos`` fold alike."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class SpellingAligner(Aligner):
    """Source word i and target word j are linked when they fold to the same string of at
    least ``min_length`` characters."""

    def __init__(self, *, min_length: int) -> None:
        self.min_length = min_length

    def align(self, pairs: Sequence[SentencePair]) -> list[set[Link]]:
        links = []
        for src, tgt in pairs:
            targets: dict[str, list[int]] = {}
            for j, word in enumerate(tgt):
                targets.setdefault(fold(word), []).append(j)
            links.append(
                {
                    (i, j)
                    for i, word in enumerate(src)
                    if len(word) >= self.min_length
                    for j in targets.get(fold(word), ())
                }
            )
        return links
