"""Where words meet subwords for the neural aligners: tokenisation, chunking and word pooling.

Words are tokenised with ``is_split_into_words=True`` (fast tokenizers' ``word_ids``), so every
subword knows its word and every alignment indexes the caller's original words:

- a word that tokenises to no subword at all (zero-width or control characters, lone
  whitespace) is replaced by the tokenizer's unknown token, so it still gets a vector; with no
  unknown token it stays *uncovered* (no vector, never aligned);
- a sentence longer than the model's maximum length is cut into consecutive chunks of whole
  words that each fit, encoded separately and stitched back; only a single word longer than the
  whole budget is truncated (its first subwords represent it).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xner.errors import ConfigError


@dataclass(frozen=True)
class Chunk:
    """Words ``start:end`` of sentence ``sentence`` (after unknown-token substitution)."""

    sentence: int
    start: int
    end: int
    words: list[str]


@dataclass(frozen=True)
class SubwordVectors:
    """One sentence's subword vectors, each tagged with the index of the word it belongs to."""

    vectors: np.ndarray  # [n_subwords, hidden]
    word_index: np.ndarray  # [n_subwords] int
    n_words: int


@dataclass(frozen=True)
class WordVectors:
    """One vector per word (mean of its subwords); ``covered[k]`` is False for a word with none."""

    vectors: np.ndarray  # [n_words, hidden]
    covered: np.ndarray  # [n_words] bool


def require_fast(tokenizer) -> None:
    """Word pooling needs ``word_ids()``, which only fast (Rust) tokenizers provide."""
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(
            f"tokenizer {type(tokenizer).__name__} is not a fast tokenizer; word alignment needs "
            "word_ids() (use a model folder with a tokenizer.json)"
        )


def subword_counts(tokenizer, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Number of subwords of each word, without special tokens."""
    counts = [np.zeros(len(words), dtype=np.int64) for words in sentences]
    nonempty = [k for k, words in enumerate(sentences) if len(words) > 0]
    if not nonempty:
        return counts
    encoding = tokenizer(
        [list(sentences[k]) for k in nonempty], is_split_into_words=True, add_special_tokens=False
    )
    for row, k in enumerate(nonempty):
        ids = [w for w in encoding.word_ids(row) if w is not None]
        counts[k] = np.bincount(np.asarray(ids, dtype=np.int64), minlength=len(sentences[k]))
    return counts


def plan_chunks(
    tokenizer, sentences: Sequence[Sequence[str]], max_length: int
) -> tuple[list[Chunk], int]:
    """Split each sentence into chunks that fit ``max_length`` subwords with special tokens.

    Returns the chunks (in sentence order) and the number of words replaced by the unknown token.
    """
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
    if budget < 1:
        raise ConfigError(f"model maximum length {max_length} leaves no room for any subword")
    unk = tokenizer.unk_token
    chunks: list[Chunk] = []
    replaced = 0
    for k, (words, counts) in enumerate(
        zip(sentences, subword_counts(tokenizer, sentences), strict=True)
    ):
        words = list(words)
        counts = counts.copy()
        if unk is not None:
            for w in np.flatnonzero(counts == 0):
                words[w] = unk
                counts[w] = 1
                replaced += 1
        start, used = 0, 0
        for w, count in enumerate(counts):
            if w > start and used + count > budget:
                chunks.append(Chunk(k, start, w, words[start:w]))
                start, used = w, 0
            used += count
        if len(words) > start:
            chunks.append(Chunk(k, start, len(words), words[start:]))
    return chunks, replaced


def pool_words(sub: SubwordVectors) -> WordVectors:
    """Mean of each word's subword vectors; a word without subwords gets zeros and covered=False."""
    hidden = sub.vectors.shape[1]
    sums = np.zeros((sub.n_words, hidden), dtype=np.float64)
    np.add.at(sums, sub.word_index, sub.vectors)
    counts = np.bincount(sub.word_index, minlength=sub.n_words)
    means = sums / np.maximum(counts, 1)[:, None]
    return WordVectors(vectors=means.astype(sub.vectors.dtype), covered=counts > 0)


def stitch(
    chunks: Sequence[Chunk],
    chunk_vectors: Sequence[tuple[np.ndarray, np.ndarray]],
    sentences: Sequence[Sequence[str]],
    hidden: int,
) -> list[SubwordVectors]:
    """Join per-chunk (vectors, chunk-local word ids) into one SubwordVectors per sentence."""
    parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in sentences]
    for chunk, (vectors, local_ids) in zip(chunks, chunk_vectors, strict=True):
        parts[chunk.sentence].append((vectors, local_ids + chunk.start))
    out = []
    for words, pieces in zip(sentences, parts, strict=True):
        if pieces:
            vectors = np.concatenate([v for v, _ in pieces])
            index = np.concatenate([i for _, i in pieces])
        else:
            vectors = np.zeros((0, hidden), dtype=np.float32)
            index = np.zeros(0, dtype=np.int64)
        out.append(SubwordVectors(vectors=vectors, word_index=index, n_words=len(words)))
    return out
