"""The one place where subword tokens meet word labels.

A sentence (list of words) becomes one or more *windows* of subword ids, each wrapped in the
tokenizer's special tokens. Only the first subword of a word carries its label; the other
subwords and the special tokens get -100, which the loss ignores. A sentence longer than
``max_length`` subwords is cut into overlapping windows (``stride`` subwords of overlap,
window starts always on a word boundary). Every word is *owned* by exactly one window: the
one where its first subword is farthest from a window edge (ties go to the earlier window),
so that after merging each word gets exactly one prediction, made with the most context.
A word that the tokenizer turns into no subword at all (e.g. a zero-width space) is encoded
as the unknown token, so it still gets a prediction.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from xner.errors import ConfigError

IGNORE_INDEX = -100
_ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert", "xlm-roberta-xl"}


@dataclass
class Window:
    """One model input: subword ids with special tokens, and where each word's first subword is."""

    input_ids: list[int]
    labels: list[int] | None
    positions: list[int]  # token position of the first subword of each word in this window
    word_ids: list[int]  # sentence-level index of those words (same order as positions)
    owned: list[bool] = field(default_factory=list)  # this window gives the word's prediction
    sentence: int = 0  # index of the sentence in the encoded corpus

    def __len__(self) -> int:
        return len(self.input_ids)


def _special_template(tokenizer) -> tuple[list[int], list[int]]:
    """Special-token ids the tokenizer puts before and after a single-sequence input."""
    enc = tokenizer(["a"], is_split_into_words=True, add_special_tokens=True)
    ids, word_ids = enc["input_ids"], enc.word_ids()
    content = [i for i, w in enumerate(word_ids) if w is not None]
    return list(ids[: content[0]]), list(ids[content[-1] + 1 :])


def _word_pieces(tokenizer, sentences: Sequence[Sequence[str]]) -> list[list[list[int]]]:
    """Subword ids of every word of every sentence; empty words become the unknown token."""
    unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
    nonempty = [i for i, words in enumerate(sentences) if len(words) > 0]
    result: list[list[list[int]]] = [[] for _ in sentences]
    if not nonempty:
        return result
    # windows are cut later, so the "longer than the model maximum" warning does not apply
    warned = getattr(tokenizer, "deprecation_warnings", None)
    if isinstance(warned, dict):
        warned["sequence-length-is-longer-than-the-specified-maximum"] = True
    enc = tokenizer(
        [list(sentences[i]) for i in nonempty], is_split_into_words=True, add_special_tokens=False
    )
    for row, sent_idx in enumerate(nonempty):
        pieces: list[list[int]] = [[] for _ in sentences[sent_idx]]
        for token_id, word in zip(enc["input_ids"][row], enc.word_ids(row), strict=True):
            if word is not None:
                pieces[word].append(token_id)
        result[sent_idx] = [p if p else [unk] for p in pieces]
    return result


def _window_spans(lengths: Sequence[int], budget: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) of windows holding at most ``budget`` subwords each."""
    spans: list[tuple[int, int]] = []
    start, n = 0, len(lengths)
    while start < n:
        end, used = start, 0
        while end < n and (end == start or used + lengths[end] <= budget):
            used += min(lengths[end], budget)
            end += 1
        spans.append((start, end))
        if end >= n:
            break
        # next window starts on the first word that begins within `stride` subwords of the end
        nxt, overlap = end, 0
        while nxt - 1 > start and overlap + lengths[nxt - 1] <= stride:
            overlap += lengths[nxt - 1]
            nxt -= 1
        start = nxt
    return spans


def effective_window(tokenizer, max_length: int, stride: int, model_config=None) -> tuple[int, int]:
    """Clamp ``max_length`` to what the model can embed and ``stride`` below the content budget."""
    limits = [max_length]
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 100_000:
        limits.append(tok_max)
    positions = getattr(model_config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        offset = 2 if getattr(model_config, "model_type", "") in _ROBERTA_LIKE else 0
        limits.append(positions - offset)
    length = min(limits)
    budget = length - tokenizer.num_special_tokens_to_add(pair=False)
    if budget < 2:
        raise ConfigError(f"max_length={max_length} leaves no room for words after special tokens")
    return length, max(0, min(stride, budget // 2))


def encode_corpus(
    tokenizer,
    sentences: Sequence[Sequence[str]],
    labels: Sequence[Sequence[int]] | None = None,
    max_length: int = 256,
    stride: int = 64,
) -> list[Window]:
    """Windows of every sentence (in sentence order); ``labels`` are per-word label ids."""
    prefix, suffix = _special_template(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ConfigError(f"max_length={max_length} leaves no room for words after special tokens")
    if labels is not None and len(labels) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(labels)} label lists")
    windows: list[Window] = []
    for sent_idx, pieces in enumerate(_word_pieces(tokenizer, sentences)):
        word_labels = labels[sent_idx] if labels is not None else None
        if word_labels is not None and len(word_labels) != len(pieces):
            raise ValueError(
                f"sentence {sent_idx}: {len(pieces)} words but {len(word_labels)} labels"
            )
        spans = _window_spans([len(p) for p in pieces], budget, min(stride, budget - 1))
        sent_windows = _sentence_windows(pieces, word_labels, spans, prefix, suffix, budget)
        for window in sent_windows:
            window.sentence = sent_idx
        windows.extend(sent_windows)
    return windows


def _sentence_windows(
    pieces: Sequence[Sequence[int]],
    word_labels: Sequence[int] | None,
    spans: Sequence[tuple[int, int]],
    prefix: list[int],
    suffix: list[int],
    budget: int,
) -> list[Window]:
    """One sentence's windows over word ``spans`` (an empty sentence: special tokens only),
    each word owned by one of them."""
    if not spans:
        empty = Window(prefix + suffix, None, [], [], [])
        if word_labels is not None:
            empty.labels = [IGNORE_INDEX] * len(prefix + suffix)
        return [empty]
    sent_windows = []
    for start, end in spans:
        ids, positions = list(prefix), []
        for word in range(start, end):
            positions.append(len(ids))
            ids.extend(pieces[word][: budget - (len(ids) - len(prefix))] or pieces[word][:1])
        ids.extend(suffix)
        win_labels = None
        if word_labels is not None:
            win_labels = [IGNORE_INDEX] * len(ids)
            for pos, word in zip(positions, range(start, end), strict=True):
                win_labels[pos] = int(word_labels[word])
        sent_windows.append(Window(ids, win_labels, positions, list(range(start, end))))
    _assign_owners(sent_windows, len(prefix))
    return sent_windows


def _assign_owners(windows: list[Window], n_prefix: int) -> None:
    """Give each word to the window where its first subword is most central."""
    best: dict[int, tuple[int, int]] = {}
    for w_idx, window in enumerate(windows):
        last = len(window.input_ids) - 1 - n_prefix
        for pos, word in zip(window.positions, window.word_ids, strict=True):
            rel = pos - n_prefix
            centrality = min(rel, last - rel)
            if word not in best or centrality > best[word][0]:
                best[word] = (centrality, w_idx)
    for w_idx, window in enumerate(windows):
        window.owned = [best[word][1] == w_idx for word in window.word_ids]


def encode_words(
    tokenizer,
    words: Sequence[str],
    labels: Sequence[int] | None = None,
    max_length: int = 256,
    stride: int = 64,
) -> list[Window]:
    """Windows of one sentence (see module docstring)."""
    return encode_corpus(
        tokenizer, [words], None if labels is None else [labels], max_length, stride
    )


def merge_windows(
    windows: Sequence[Window], scores: Sequence[np.ndarray], n_words: int
) -> np.ndarray:
    """Per-word scores of one sentence from its windows' per-word scores (owned words only).

    ``scores[k]`` has one row per entry of ``windows[k].positions``.
    """
    if n_words == 0:
        width = scores[0].shape[-1] if len(scores) and scores[0].ndim == 2 else 0
        return np.zeros((0, width), dtype=np.float32)
    out: np.ndarray | None = None
    filled = np.zeros(n_words, dtype=bool)
    for window, rows in zip(windows, scores, strict=True):
        if out is None:
            out = np.zeros((n_words, rows.shape[-1]), dtype=rows.dtype)
        for row, word, owned in zip(rows, window.word_ids, window.owned, strict=True):
            if owned:
                out[word] = row
                filled[word] = True
    if out is None or not filled.all():
        missing = np.flatnonzero(~filled)[:5].tolist()
        raise ValueError(f"words {missing} have no owning window")
    return out


def pad_windows(
    windows: Sequence[Window], pad_id: int, with_labels: bool = True
) -> dict[str, torch.Tensor]:
    """Batch tensors with dynamic padding (to the longest window of the batch)."""
    width = max(len(w) for w in windows)
    input_ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(windows), width), dtype=torch.long)
    batch: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention}
    if with_labels:
        batch["labels"] = torch.full((len(windows), width), IGNORE_INDEX, dtype=torch.long)
    for row, window in enumerate(windows):
        n = len(window)
        input_ids[row, :n] = torch.tensor(window.input_ids, dtype=torch.long)
        attention[row, :n] = 1
        if with_labels and window.labels is not None:
            batch["labels"][row, :n] = torch.tensor(window.labels, dtype=torch.long)
    return batch


def group_by_sentence(windows: Sequence[Window], n_sentences: int) -> list[list[int]]:
    """Indices of each sentence's windows, in window order."""
    groups: list[list[int]] = [[] for _ in range(n_sentences)]
    for idx, window in enumerate(windows):
        groups[window.sentence].append(idx)
    return groups


def window_scores(
    model, windows: Sequence[Window], pad_id: int, batch_size: int = 32, device="cpu"
) -> list[np.ndarray]:
    """Softmax probabilities at each window's word positions (eval mode, no grad, by length)."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    result: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(windows)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                idx = order[begin : begin + batch_size]
                batch = pad_windows([windows[i] for i in idx], pad_id, with_labels=False)
                batch = {k: v.to(device) for k, v in batch.items()}
                logits = model(**batch).logits.float()
                probs = torch.softmax(logits, dim=-1).cpu().numpy()
                for row, i in enumerate(idx):
                    result[i] = probs[row, windows[i].positions]
    finally:
        model.train(was_training)
    return result


def predict_word_probs(
    model,
    tokenizer,
    sentences: Sequence[Sequence[str]],
    max_length: int = 256,
    stride: int = 64,
    batch_size: int = 32,
    device="cpu",
) -> list[np.ndarray]:
    """Per-word label probabilities ``[n_words, n_labels]`` of a token classifier, input order."""
    max_length, stride = effective_window(tokenizer, max_length, stride, model.config)
    windows = encode_corpus(tokenizer, sentences, None, max_length, stride)
    scores = window_scores(model, windows, _pad_id(tokenizer), batch_size, device)
    n_labels = int(model.config.num_labels)
    out = []
    for sent_idx, idx in enumerate(group_by_sentence(windows, len(sentences))):
        n_words = len(sentences[sent_idx])
        if n_words == 0:
            out.append(np.zeros((0, n_labels), dtype=np.float32))
            continue
        out.append(merge_windows([windows[i] for i in idx], [scores[i] for i in idx], n_words))
    return out


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
