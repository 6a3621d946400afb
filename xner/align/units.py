"""Word units for symmetrising alignments: adjacent words that nearly always occur together.

In a rigid pair such as *Member States* / *Estados miembros* the text cannot tell which word
translates which, so each alignment direction pairs them by chance (crossed, in order, or both
to one word) and the intersection of the two directions keeps a different part of the phrase
from one sampler seed to the next. Treated as one unit, the pair is linked as a whole: the
directions are combined on units and every word of a linked unit is linked.
"""

from collections import Counter
from collections.abc import Iterable, Sequence

from xner.align.base import Link

Units = list[list[int]]  # one sentence's units: the word indices of each, in order


def collocations(
    sentences: Iterable[Sequence[str]], share: float, min_count: int
) -> set[tuple[str, str]]:
    """Adjacent word pairs seen at least ``min_count`` times that make up at least ``share`` of
    the occurrences of each of their two words (words compared as given)."""
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for sentence in sentences:
        words.update(sentence)
        pairs.update(zip(sentence, sentence[1:], strict=False))
    return {
        (a, b)
        for (a, b), n in pairs.items()
        if a != b and n >= min_count and n >= share * words[a] and n >= share * words[b]
    }


def units(sentence: Sequence[str], pairs: set[tuple[str, str]]) -> Units:
    """The sentence's units, left to right: a word alone, or a word and the next when the two
    are one of ``pairs`` (a word belongs to one unit: *a b c* with both pairs is *ab*, *c*)."""
    out: Units = []
    k = 0
    while k < len(sentence):
        size = 2 if k + 1 < len(sentence) and (sentence[k], sentence[k + 1]) in pairs else 1
        out.append(list(range(k, k + size)))
        k += size
    return out


def to_units(links: Iterable[Link], source: Units, target: Units) -> set[Link]:
    """Word links as links between the units holding the words."""
    src = {i: u for u, words in enumerate(source) for i in words}
    tgt = {j: u for u, words in enumerate(target) for j in words}
    return {(src[i], tgt[j]) for i, j in links}


def to_words(links: Iterable[Link], source: Units, target: Units) -> set[Link]:
    """Unit links as word links: every word of one unit to every word of the other."""
    return {(i, j) for a, b in links for i in source[a] for j in target[b]}
