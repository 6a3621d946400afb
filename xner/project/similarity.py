"""String similarity of a source entity and a target candidate: names are often written the same
or nearly the same across languages, which neither the alignment nor eflomal's links use directly.

Words are folded first (:func:`fold`: lowercase, diacritics stripped, Greek and Cyrillic letters
transliterated to Latin), then compared by the Dice coefficient of their character n-grams. A
candidate's score is a soft F1 of word matches (as the align score is for links):

    sim(s, t) = (Σ_{i∈s} max_{j∈t} w(i, j) + Σ_{j∈t} max_{i∈s} w(i, j)) / (|s| + |t|)

with w(i, j) the word similarity, set to 0 below ``word_cutoff``; words shorter than
``MIN_CHARS`` folded characters match only when identical (und/Fund, die/Die). Identical words
give 1, so a name copied verbatim scores like a fully aligned candidate of the same length.
"""

from collections.abc import Sequence

import numpy as np

from xner.data.entity import Entity
from xner.data.spelling import char_ngrams, fold

MIN_CHARS = 4


def word_similarity(a: str, b: str, n: int = 3) -> float:
    """Dice coefficient of the two words' character n-gram sets (1 = same folded word)."""
    ga, gb = char_ngrams(a, n), char_ngrams(b, n)
    total = len(ga) + len(gb)
    if total == 0:
        return 0.0
    return 2.0 * len(ga & gb) / total


def similarity_scores(
    src_words: Sequence[str],
    src_entities: Sequence[Entity],
    tgt_words: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    n: int = 3,
    word_cutoff: float = 0.5,
) -> np.ndarray:
    """[entities, candidates] soft-F1 string similarity of each entity and each candidate."""
    out = np.zeros((len(src_entities), len(starts)))
    tgt_grams = [char_ngrams(t, n) for t in tgt_words]
    tgt_short = [len(fold(t)) < MIN_CHARS for t in tgt_words]
    lengths = ends - starts
    for e, ent in enumerate(src_entities):
        col = np.zeros(len(tgt_words))
        src_side = np.zeros(len(starts))
        for word in src_words[ent.start : ent.end]:
            grams = char_ngrams(word, n)
            short = len(fold(word)) < MIN_CHARS
            best = np.zeros(len(starts))
            for j, other in enumerate(tgt_grams):
                if (short or tgt_short[j]) and grams != other:
                    continue
                total = len(grams) + len(other)
                if not total or 2 * min(len(grams), len(other)) < word_cutoff * total:
                    continue
                w = 2.0 * len(grams & other) / total
                if w < word_cutoff:
                    continue
                col[j] = max(col[j], w)
                np.maximum(best, np.where((starts <= j) & (ends > j), w, 0.0), out=best)
            src_side += best
        if not col.any():
            continue
        prefix = np.concatenate([[0.0], np.cumsum(col)])
        out[e] = (src_side + prefix[ends] - prefix[starts]) / (ent.length + lengths)
    return out
