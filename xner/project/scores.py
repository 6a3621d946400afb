"""Candidate scores c(s, t) for the ILP projector: align, ner, nmt, sim and their fusion.

Every function returns a float matrix [source entities, candidates], candidates given as
(starts, ends) arrays from :mod:`xner.project.candidates`.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from xner.data.entity import Entity
from xner.errors import ConfigError, DataError
from xner.options import one_of

NER_ALPHA = 1.15
NER_CUTOFF = 0.05
NMT_CUTOFF = 0.1
Score = Literal["align", "ner", "nmt", "sim", "fused"]


class NMTScorer(ABC):
    """Similarity of phrase pairs under a translation model (higher = better translation)."""

    @abstractmethod
    def score(self, src_phrases: Sequence[str], tgt_phrases: Sequence[str]) -> list[float]: ...


@dataclass
class ScoreInputs:
    """Optional model outputs the ner / nmt scores need.

    ``ner_probs``: [target words, labels] probabilities of a target-side NER model whose
    columns are named by ``label_names`` (IOB2 tag names such as ``B-PER``).
    """

    ner_probs: np.ndarray | None = None
    label_names: Sequence[str] | None = None
    nmt: NMTScorer | None = None


def align_scores(
    counts: np.ndarray, src_lengths: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """2·(links between s and t) / (|s| + |t|), from per-word link counts [entities, words]."""
    prefix = np.zeros((counts.shape[0], counts.shape[1] + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=prefix[:, 1:])
    inside = prefix[:, ends] - prefix[:, starts]
    return 2.0 * inside / (src_lengths[:, None] + (ends - starts)[None, :])


AlphaRule = Literal["argmax", "all"]


def ner_scores(
    src_entities: Sequence[Entity],
    probs: np.ndarray,
    label_names: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    alpha: float = NER_ALPHA,
    cutoff: float = NER_CUTOFF,
    alpha_rule: str = "argmax",
    per_class: bool = True,
) -> np.ndarray:
    """Span score from a target NER model, as the reference thesis code computes it.

    For class l, mean_l(t) = mean(p(B-l) of t's first word, p(I-l) of the others). The length
    bonus α^(|t|−1) rewards spans the model itself tags as one entity: with ``alpha_rule=argmax``
    (thesis) it multiplies mean_l only where the per-word argmax over t is exactly B-l I-l …;
    with ``all`` it multiplies every mean_l. ``per_class``: an entity of class l scores
    mean_l; otherwise every entity scores the class-agnostic max over l. Scores not above
    ``cutoff`` are 0. A class with only B- or only I- uses that column for both (thesis).
    """
    one_of("projector.ner_alpha_rule", alpha_rule, get_args(AlphaRule))
    probs = _checked_probs(probs, label_names, ends)
    by_class = {
        label: _span_scores(probs, b_col, i_col, starts, ends, alpha, alpha_rule)
        for label, (b_col, i_col) in _bi_columns(label_names).items()
    }
    agnostic = np.max(list(by_class.values()), axis=0) if by_class else np.zeros(len(starts))
    out = np.zeros((len(src_entities), len(starts)))
    for e, ent in enumerate(src_entities):
        if not per_class:
            out[e] = agnostic
        elif ent.label in by_class:
            out[e] = by_class[ent.label]
    out[out <= cutoff] = 0.0
    return out


def _checked_probs(probs: np.ndarray, label_names: Sequence[str], ends: np.ndarray) -> np.ndarray:
    """``probs`` as floats, refused unless one row per target word and one column per label."""
    probs = np.asarray(probs, dtype=np.float64)
    n_tgt = int(ends.max()) if len(ends) else 0
    if probs.ndim != 2 or probs.shape[1] != len(label_names) or probs.shape[0] < n_tgt:
        raise DataError(
            f"NER probabilities of shape {probs.shape} do not match {n_tgt} target words "
            f"and {len(label_names)} label names"
        )
    return probs


def _bi_columns(label_names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Entity class -> its (B-, I-) columns; a class with only one of them uses it for both."""
    columns: dict[str, list[int | None]] = {}
    for k, name in enumerate(label_names):
        if name[:2] in ("B-", "I-"):
            columns.setdefault(name[2:], [None, None])["BI".index(name[0])] = k
    return {
        label: (b if b is not None else i, i if i is not None else b)
        for label, (b, i) in columns.items()
    }


def _span_scores(
    probs: np.ndarray,
    b_col: int,
    i_col: int,
    starts: np.ndarray,
    ends: np.ndarray,
    alpha: float,
    alpha_rule: str,
) -> np.ndarray:
    """One class's mean_l(t) times its length bonus, for every candidate (see ner_scores)."""
    lengths = ends - starts
    prefix = np.concatenate([[0.0], np.cumsum(probs[:, i_col])])
    mean = (probs[starts, b_col] + prefix[ends] - prefix[starts + 1]) / lengths
    bonus = alpha ** (lengths - 1)
    if alpha_rule == "argmax":
        top = probs.argmax(axis=1)
        inside = np.concatenate([[0], np.cumsum(top == i_col)])
        run = (top[starts] == b_col) & (inside[ends] - inside[starts + 1] == lengths - 1)
        bonus = np.where(run, bonus, 1.0)
    return mean * bonus


def nmt_scores(
    src_words: Sequence[str],
    src_entities: Sequence[Entity],
    tgt_words: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    scorer: NMTScorer,
    cutoff: float = NMT_CUTOFF,
) -> np.ndarray:
    """Scorer similarity of each entity phrase with each candidate phrase; not above cutoff → 0."""
    src_phrases, tgt_phrases = [], []
    for ent in src_entities:
        phrase = " ".join(src_words[ent.start : ent.end])
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            src_phrases.append(phrase)
            tgt_phrases.append(" ".join(tgt_words[a:b]))
    flat = np.asarray(scorer.score(src_phrases, tgt_phrases), dtype=np.float64)
    if flat.shape != (len(src_phrases),):
        raise DataError(f"NMT scorer returned {flat.shape} scores for {len(src_phrases)} pairs")
    out = flat.reshape(len(src_entities), len(starts))
    out[out <= cutoff] = 0.0
    return out


def fused_scores(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """λ-weighted sum of the component score matrices."""
    total: np.ndarray | None = None
    for name, weight in weights.items():
        if weight == 0:
            continue
        if name not in parts:
            raise ConfigError(f"fused score weight for {name!r} has no such score")
        term = weight * parts[name]
        total = term if total is None else total + term
    if total is None:
        raise ConfigError("fused score needs at least one non-zero weight")
    return total


class HFNMTScorer(NMTScorer):
    """Symmetric direct NMTScore (Vamvas & Sennrich 2022) under any AutoModelForSeq2SeqLM.

    sim(a, b) = ½·[P(b|a)/P(b|b) + P(a|b)/P(a|a)], each P the length-normalised forced-decoding
    probability (geometric mean over target tokens); dividing by the self-translation probability
    removes the phrases' own prior likelihood.
    """

    def __init__(
        self,
        model: str,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        from xner.hub import check_checkpoint, model_options

        check_checkpoint(model, "pipeline.nmt_scorer.model")
        options = model_options(model)
        self.tokenizer = AutoTokenizer.from_pretrained(model, **options)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model, **options).to(device).eval()
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.batch_size = batch_size
        self.device = device

    def score(self, src_phrases: Sequence[str], tgt_phrases: Sequence[str]) -> list[float]:
        if len(src_phrases) != len(tgt_phrases):
            raise DataError(f"{len(src_phrases)} source phrases but {len(tgt_phrases)} target")
        s, t, sl, tl = src_phrases, tgt_phrases, self.src_lang, self.tgt_lang
        forward = self._probability(s, t, sl, tl)
        backward = self._probability(t, s, tl, sl)
        self_t = self._probability(t, t, tl, tl)
        self_s = self._probability(s, s, sl, sl)
        return [
            0.5 * (f / st + b / ss)
            for f, b, st, ss in zip(forward, backward, self_t, self_s, strict=True)
        ]

    def _probability(
        self, sources: Sequence[str], targets: Sequence[str], src: str | None, tgt: str | None
    ) -> list[float]:
        """Length-normalised P(target | source), computed once per distinct pair."""
        pairs = list(dict.fromkeys(zip(sources, targets, strict=True)))
        values: dict[tuple[str, str], float] = {}
        for k in range(0, len(pairs), self.batch_size):
            batch = pairs[k : k + self.batch_size]
            values.update(
                zip(
                    batch,
                    self._batch([a for a, _ in batch], [b for _, b in batch], src, tgt),
                    strict=True,
                )
            )
        return [values[p] for p in zip(sources, targets, strict=True)]

    def _batch(
        self, sources: list[str], targets: list[str], src: str | None, tgt: str | None
    ) -> list[float]:
        import torch

        if src is not None and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = src
        if tgt is not None and hasattr(self.tokenizer, "tgt_lang"):
            self.tokenizer.tgt_lang = tgt
        enc = self.tokenizer(sources, text_target=targets, return_tensors="pt", padding=True)
        labels = enc.pop("labels")
        pad = self.tokenizer.pad_token_id
        mask = labels != pad
        labels = labels.masked_fill(~mask, -100)
        with torch.no_grad():
            logits = self.model(**enc.to(self.device), labels=labels.to(self.device)).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        token = logp.gather(-1, labels.clamp(min=0).to(self.device).unsqueeze(-1)).squeeze(-1)
        mask = mask.to(self.device)
        mean = (token * mask).sum(-1) / mask.sum(-1).clamp(min=1)
        return torch.exp(mean).tolist()
