"""Statistical word alignment with eflomal, with lexical priors and optional link voting.

eflomal is a Gibbs sampler; ``seed`` makes it repeatable (same seed, same text: same links; see
:mod:`xner.align.eflomal_seed`), ``seed=None`` samples from ``/dev/urandom`` as eflomal does. It
sums its ``n_samplers`` samplers' distributions before the final argmax, so more samplers (at
fewer iterations, for the same time) stabilise one run; ``runs`` independent runs (each seeded
from ``seed`` and its index) can also be voted (links found in at least ``min_votes`` runs are
kept). Lexical priors tie identical names and numbers, and capitalised source words to
similarly spelt target words (``ortho_prior``).
"""

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from xner.align.base import Aligner, Link, SentencePair, Via, check_links
from xner.align.eflomal_seed import run_eflomal
from xner.align.units import Units, collocations, to_units, to_words, units
from xner.data.spelling import char_ngrams
from xner.errors import ConfigError, DataError
from xner.options import Range, check_fields, one_of

Symmetrize = Literal["forward", "reverse", "intersection", "union", "grow-diag-final-and"]
SYMMETRIZE = get_args(Symmetrize)


def grow_diag_final_and(fwd: set[Link], rev: set[Link]) -> set[Link]:
    """Koehn's grow-diag-final-and: grow the intersection towards the union, then add lone links."""
    union = fwd | rev
    links = set(fwd & rev)
    src_aligned = {i for i, _ in links}
    tgt_aligned = {j for _, j in links}
    neighbours = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
    grown = True
    while grown:
        grown = False
        for i, j in sorted(links):
            for di, dj in neighbours:
                cand = (i + di, j + dj)
                if cand in union and cand not in links:
                    if cand[0] not in src_aligned or cand[1] not in tgt_aligned:
                        links.add(cand)
                        src_aligned.add(cand[0])
                        tgt_aligned.add(cand[1])
                        grown = True
    for direction in (fwd, rev):
        for i, j in sorted(direction):
            if i not in src_aligned and j not in tgt_aligned:
                links.add((i, j))
                src_aligned.add(i)
                tgt_aligned.add(j)
    return links


_SYMMETRIZERS: dict[str, Callable[[set[Link], set[Link]], set[Link]]] = {
    "forward": lambda fwd, rev: set(fwd),
    "reverse": lambda fwd, rev: set(rev),
    "intersection": lambda fwd, rev: fwd & rev,
    "union": lambda fwd, rev: fwd | rev,
    "grow-diag-final-and": grow_diag_final_and,
}


def symmetrize(fwd: set[Link], rev: set[Link], mode: str) -> set[Link]:
    """Combine forward and reverse links with one of ``SYMMETRIZE``."""
    return _SYMMETRIZERS[one_of("aligner.symmetrize", mode, SYMMETRIZE)](fwd, rev)


def vote(link_sets: Sequence[Sequence[set[Link]]], min_votes: int) -> list[set[Link]]:
    """Per sentence, keep the links present in at least ``min_votes`` of the runs."""
    out: list[set[Link]] = []
    for per_run in zip(*link_sets, strict=True):
        counts = Counter(link for links in per_run for link in links)
        out.append({link for link, n in counts.items() if n >= min_votes})
    return out


def _token(word: str) -> str:
    """eflomal reads whitespace-separated lines: a word must be one non-empty token."""
    token = "_".join(word.split())
    return token or "_"


def _read_links(path: str, n: int) -> list[set[Link]]:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out: list[set[Link]] = []
    for k in range(n):
        line = lines[k] if k < len(lines) else ""
        out.append({tuple(map(int, p.split("-"))) for p in line.split()})  # type: ignore[misc]
    return out


@dataclass(eq=False, kw_only=True)
class EflomalAligner(Aligner):
    """eflomal trained on the pairs being aligned plus all other parallel text it is given.

    ``align(pairs, training)``: ``training`` pairs (e.g. the other splits of a parallel corpus)
    and the files ``extra_source``/``extra_target`` (tokenised parallel text, one sentence a
    line) are learnt from; links come back for ``pairs`` only. ``lowercase`` is eflomal's own
    ``read_text`` option. ``seed``: the sampler seed (None: unseeded, links differ run to run).
    """

    learns_from_text = True

    symmetrize: Symmetrize
    runs: Annotated[int, Range(1)]
    min_votes: Annotated[int, Range(1)]  # at most runs
    vote_on: Literal["directions", "links"]
    model: Literal[1, 2, 3]
    n_samplers: Annotated[int, Range(1)]
    rel_iterations: float
    null_prior: float
    lowercase: bool
    identical_prior: float
    ortho_prior: float
    ortho_threshold: float
    stem: Annotated[int, Range(0)]  # 0: off
    stem_keep: Annotated[int, Range(0)]  # 0: off
    collocation_share: Annotated[float, Range(0, 1)]  # 0: off
    collocation_min: Annotated[int, Range(1)]
    extra_source: str | None
    extra_target: str | None
    via: Via
    seed: int | None

    def __post_init__(self) -> None:
        check_fields(self, "aligner")
        if self.min_votes > self.runs:
            raise ConfigError(f"aligner.min_votes={self.min_votes}: must be <= runs ({self.runs})")
        if (self.extra_source is None) != (self.extra_target is None):
            raise ConfigError("aligner: give both extra_source and extra_target, or neither")
        self.seed = None if self.seed is None else int(self.seed)

    def align(
        self, pairs: Sequence[SentencePair], training: Sequence[SentencePair] = ()
    ) -> list[set[Link]]:
        links = self.combine(self.align_directions(pairs, training), self.units(pairs, training))
        for k, ((src, tgt), sent_links) in enumerate(zip(pairs, links, strict=True)):
            check_links(sent_links, len(src), len(tgt), k)
        return links

    def combine(
        self,
        directions: Sequence[tuple[list[set[Link]], list[set[Link]]]],
        sentence_units: Sequence[tuple[Units, Units]] | None = None,
    ) -> list[set[Link]]:
        """One link set per sentence from the runs' forward and reverse links (``vote_on``),
        symmetrised on ``sentence_units`` (see :meth:`units`; None: every word its own unit)."""
        if self.vote_on == "directions":
            fwd = vote([d[0] for d in directions], self.min_votes)
            rev = vote([d[1] for d in directions], self.min_votes)
            return self._symmetrize(fwd, rev, sentence_units)
        per_run = [self._symmetrize(fw, rv, sentence_units) for fw, rv in directions]
        return vote(per_run, self.min_votes)

    def _symmetrize(
        self,
        fwd: list[set[Link]],
        rev: list[set[Link]],
        sentence_units: Sequence[tuple[Units, Units]] | None,
    ) -> list[set[Link]]:
        if sentence_units is None:
            return [symmetrize(f, r, self.symmetrize) for f, r in zip(fwd, rev, strict=True)]
        out = []
        for f, r, (src, tgt) in zip(fwd, rev, sentence_units, strict=True):
            joined = symmetrize(to_units(f, src, tgt), to_units(r, src, tgt), self.symmetrize)
            out.append(to_words(joined, src, tgt))
        return out

    def units(
        self, pairs: Sequence[SentencePair], training: Sequence[SentencePair] = ()
    ) -> list[tuple[Units, Units]]:
        """Each pair's source and target units (:mod:`xner.align.units`): the collocations of
        each side are counted (lowercased) over all the text the aligner learns from."""
        if not self.collocation_share:
            return [([[i] for i in range(len(s))], [[j] for j in range(len(t))]) for s, t in pairs]
        extra_src, extra_tgt = self.extra_text()
        sides = []
        for k, extra in ((0, extra_src), (1, extra_tgt)):
            text = [[_token(w).lower() for w in p[k]] for p in [*pairs, *training]]
            text += [line.lower().split() for line in extra]
            found = collocations(text, self.collocation_share, self.collocation_min)
            sides.append([units(sentence, found) for sentence in text[: len(pairs)]])
        return list(zip(*sides, strict=True))

    def align_directions(
        self, pairs: Sequence[SentencePair], training: Sequence[SentencePair] = ()
    ) -> list[tuple[list[set[Link]], list[set[Link]]]]:
        """Forward and reverse links of ``pairs`` from each of ``runs`` independent runs."""
        if not pairs:
            return [([], []) for _ in range(self.runs)]
        for what, group in (("sentence pair", pairs), ("training pair", training)):
            for k, (src, tgt) in enumerate(group):
                if not src or not tgt:
                    side = "source" if not src else "target"
                    raise DataError(f"{what} {k}: the {side} sentence is empty; cannot align it")
        text = [*pairs, *training]
        extra_src, extra_tgt = self.extra_text()
        keep = self.frequent_words([w for s, t in text for w in [*s, *t]], extra_src + extra_tgt)

        def form(word: str) -> str:
            return self.form(word, keep)

        src_lines = [" ".join(map(form, s)) for s, _ in text]
        tgt_lines = [" ".join(map(form, t)) for _, t in text]
        src_lines += [" ".join(map(form, line.split())) for line in extra_src]
        tgt_lines += [" ".join(map(form, line.split())) for line in extra_tgt]
        priors = lexical_priors(text, self.identical_prior, self.ortho_prior, self.ortho_threshold)
        return [
            self._run_once(src_lines, tgt_lines, len(pairs), priors, form, run)
            for run in range(self.runs)
        ]

    def form(self, word: str, keep: frozenset[str] = frozenset()) -> str:
        """The token eflomal sees: one whitespace-free token, lowercased and cut to ``stem``
        letters when set (a crude stemmer: on a small corpus, inflected forms then share their
        counts) unless it is one of ``keep``."""
        token = _token(word)
        if not self.stem:
            return token
        token = token.lower()
        return token if token in keep else token[: self.stem]

    def frequent_words(self, words: Iterable[str], lines: Iterable[str] = ()) -> frozenset[str]:
        """The lowercased tokens seen at least ``stem_keep`` times among ``words`` and the
        words of ``lines``: frequent words have counts enough of their own, and cut to a prefix
        they would share it with other frequent words (Commission, Committee, communication:
        comm; Estados, esta, estamos: esta)."""
        if not self.stem_keep:
            return frozenset()
        counts = Counter(_token(w).lower() for w in words)
        counts.update(w.lower() for line in lines for w in line.split())
        return frozenset(w for w, n in counts.items() if n >= self.stem_keep)

    def extra_text(self) -> tuple[list[str], list[str]]:
        """The lines of ``extra_source`` and ``extra_target`` (empty without them)."""
        src, tgt = self._extra(self.extra_source), self._extra(self.extra_target)
        if len(src) != len(tgt):
            raise DataError(
                f"extra parallel text {self.extra_source} and {self.extra_target} "
                f"have different sentence counts ({len(src)} and {len(tgt)})"
            )
        return src, tgt

    def _extra(self, path: str | None) -> list[str]:
        if path is None:
            return []
        try:
            with open(path, encoding="utf-8") as f:
                lines = [line.strip() for line in f]
        except OSError as e:
            raise ConfigError(f"aligner: cannot read extra parallel text {path}: {e}") from e
        for n, line in enumerate(lines, 1):
            if not line:
                raise DataError(f"{path}:{n}: empty sentence in extra parallel text")
        return lines

    def _run_once(
        self,
        src_lines: list[str],
        tgt_lines: list[str],
        n: int,
        priors: list[tuple[str, str, float]] | None,
        form: Callable[[str], str],
        run: int,
    ) -> tuple[list[set[Link]], list[set[Link]]]:
        names = ("src", "tgt", "fwd", "rev", "priors")
        with tempfile.TemporaryDirectory(prefix="xner-eflomal-") as tmp:
            paths = {name: os.path.join(tmp, name) for name in names}
            self._write_inputs(paths, src_lines, tgt_lines, priors, form)
            run_eflomal(
                paths["src"],
                paths["tgt"],
                paths["fwd"],
                paths["rev"],
                model=self.model,
                n_samplers=self.n_samplers,
                rel_iterations=self.rel_iterations,
                null_prior=self.null_prior,
                priors=paths["priors"] if priors else None,
                seed=self.seed,
                run=run,
            )
            return _read_links(paths["fwd"], n), _read_links(paths["rev"], n)

    def _write_inputs(
        self,
        paths: dict[str, str],
        src_lines: list[str],
        tgt_lines: list[str],
        priors: list[tuple[str, str, float]] | None,
        form: Callable[[str], str],
    ) -> None:
        """Both texts in eflomal's format and, with ``priors``, its priors file (its words in
        the aligner's ``form``)."""
        import eflomal
        from eflomal import cython as ef

        indices = []
        for name, lines in (("src", src_lines), ("tgt", tgt_lines)):
            sents, index = ef.read_text(_lines(lines), self.lowercase, 0, 0)
            indices.append(index)
            with open(paths[name], "wb") as f:
                ef.write_text(f, tuple(sents), len(index))
        if priors:
            key = (lambda w: form(w).lower()) if self.lowercase else form
            src_index, tgt_index = (_Index(index, key) for index in indices)
            with open(paths["priors"], "w", encoding="utf-8") as f:
                eflomal.to_eflomal_priors_file((priors, {}, {}, [], []), src_index, tgt_index, f)


class _Index:
    """Word → eflomal index (1-based; 0 is NULL) of the word's aligner form (``stem``)."""

    def __init__(self, index: dict[str, int], form: Callable[[str], str]) -> None:
        self.index = index
        self.form = form

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, word: str) -> int | None:
        e = self.index.get(self.form(word))
        return None if e is None else e + 1


def identical_priors(pairs: Sequence[SentencePair], alpha: float) -> list[tuple[str, str, float]]:
    """Lexical priors tying a word to itself when it occurs on both sides of a sentence pair
    and looks like a name or number (has a capital letter or a digit): names, codes, years."""
    counts: Counter[str] = Counter()
    for src, tgt in pairs:
        shared = {_token(w) for w in src} & {_token(w) for w in tgt}
        counts.update(w for w in shared if any(c.isupper() or c.isdigit() for c in w))
    return [(w, w, alpha * n) for w, n in sorted(counts.items())]


def orthographic_priors(
    pairs: Sequence[SentencePair], alpha: float, threshold: float
) -> list[tuple[str, str, float]]:
    """Lexical priors tying a capitalised source word (a name, in English) to the target words
    of the same sentence pair that are spelt alike (Dice of the folded words' character-trigram
    sets at least ``threshold``, not identical): Commission/Kommission, Russia/Rußland."""
    grams: dict[str, frozenset[str]] = {}
    similar: dict[tuple[str, str], bool] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for src, tgt in pairs:
        names = {_token(w) for w in src if w[:1].isupper() and len(w) > 2}
        if not names:
            continue
        for t in {_token(w) for w in tgt if len(w) > 2}:
            gt = grams.get(t)
            if gt is None:
                gt = grams[t] = char_ngrams(t)
            for name in names:
                key = (name, t)
                hit = similar.get(key)
                if hit is None:
                    gs = grams.get(name)
                    if gs is None:
                        gs = grams[name] = char_ngrams(name)
                    size = len(gs) + len(gt)
                    hit = similar[key] = (
                        gs != gt
                        and 2 * min(len(gs), len(gt)) >= threshold * size
                        and 2 * len(gs & gt) >= threshold * size
                    )
                if hit:
                    counts[key] += 1
    return [(s, t, alpha * n) for (s, t), n in sorted(counts.items())]


def lexical_priors(
    pairs: Sequence[SentencePair], identical: float, ortho: float, threshold: float
) -> list[tuple[str, str, float]] | None:
    """The identical-word and orthographic priors together (None when both are off)."""
    priors = identical_priors(pairs, identical) if identical else []
    if ortho:
        priors += orthographic_priors(pairs, ortho, threshold)
    return priors or None


def _lines(lines: Iterable[str]) -> list[str]:
    return [line + "\n" for line in lines]
