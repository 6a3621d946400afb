"""The pipeline's stages: each a small object holding the part that does the work and the config
its cache entries are keyed by, so a stage is never passed twice (as an object and a config).

A stage's key is made of its config, the keys of the stages it reads and the fingerprint of its
code (:data:`STAGE_CODE` plus the classes its config's ``_target_`` names), so a projector sweep
reuses the translation and the alignment, an aligner sweep reuses the translation and the
labels, and changed code recomputes.

- a *runaway* translation is cut before anything reads it (:mod:`xner.pipeline.guards`); the
  cut is part of the downstream keys, the raw translation stays cached;
- a sentence pair with an empty side gets no links without calling the aligner; links outside
  either sentence are a DataError naming the pair (:func:`xner.align.base.check_links`);
- an aligner that learns from text (eflomal) trains on the pairs being projected plus
  ``parallel_text`` (every pair of a parallel corpus, those being projected not repeated) plus
  its own extra text, and returns links for the projected pairs only; the alignment's key
  includes that training text.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from xner.align.base import Aligner, check_links
from xner.data.entity import Entity
from xner.errors import DataError
from xner.labelers.base import Labeler, Labelled
from xner.pipeline.backtranslation import BackTranslation, backtranslate_marked
from xner.pipeline.cache import StageCache, fingerprint
from xner.pipeline.codecs import CODECS, Links, Marked
from xner.pipeline.guards import (
    LENGTH_SLACK,
    MAX_LENGTH_RATIO,
    TranslationCheck,
    guard_translations,
    warn,
)
from xner.project.base import Projection, Projector
from xner.project.scores import ScoreInputs
from xner.translate.base import Translator

log = logging.getLogger(__name__)
Pairs = Sequence[tuple[Sequence[str], Sequence[str]]]
Words = list[list[str]]


def _cached(
    cache: StageCache,
    stage: str,
    config: Mapping[str, Any],
    inputs: list[str],
    compute: Callable[[], Any],
) -> tuple[Any, str]:
    """The output of ``stage`` from the cache (stored with its codec), computed on a miss;
    one log line says which, for how many sentences and how long it took."""
    encode, decode = CODECS[stage]
    start = time.monotonic()
    value, key = cache.get_or_compute(
        stage, config, inputs, compute, encode, decode, code=STAGE_CODE[stage]
    )
    size = f"{len(value)} sentences" if isinstance(value, Sized) else "done"
    how = "cached" if cache.costs[-1][2] else "computed"  # the lookup's (stage, cost, reused)
    log.info("stage %s: %s, %.1f s, %s", stage, size, time.monotonic() - start, how)
    return value, key


@dataclass(frozen=True)
class Translate:
    """The translator, its config, and the length guard applied to what it returns."""

    translator: Translator
    config: Mapping[str, Any]
    max_length_ratio: float | None = MAX_LENGTH_RATIO
    length_slack: int = LENGTH_SLACK

    def run(
        self, cache: StageCache, words: list[list[str]], data_key: str, langs: tuple[str, str]
    ) -> tuple[list[list[str]], str]:
        """The raw translations of ``words`` from ``langs[0]`` into ``langs[1]``, and their key."""
        return _cached(
            cache,
            "translate",
            self.config,
            [data_key, *langs],
            lambda: self.translator.translate(words, *langs),
        )

    def checked(
        self, cache: StageCache, words: list[list[str]], raw: tuple[list[list[str]], str], why: str
    ) -> tuple[TranslationCheck, str]:
        """The guarded translations (logged with ``why``: what happens to an empty one) and the
        key later stages read them under: the raw key, or one that includes the cut."""
        translations, raw_key = raw
        check = guard_translations(words, translations, self.max_length_ratio, self.length_slack)
        warn(check, len(words), self.max_length_ratio, self.length_slack, why)
        if not check.truncated:
            return check, raw_key
        limits = {"max_length_ratio": self.max_length_ratio, "length_slack": self.length_slack}
        code = STAGE_CODE["translate_checked"]
        return check, cache.key("translate_checked", limits, [raw_key], code=code)


@dataclass(frozen=True)
class TranslateMarked:
    """``projector=markers``: the translator that carries the markers, its config and the
    marker style (translations of marked text are cached like every translation)."""

    translator: Translator
    config: Mapping[str, Any]
    style: str

    def run(
        self, cache: StageCache, texts: list[str], langs: tuple[str, str]
    ) -> tuple[list[str], str]:
        """The raw translations of the marked ``texts`` and their key."""
        config = {"translator": self.config, "style": self.style}
        return _cached(
            cache,
            "translate_marked",
            config,
            [fingerprint(texts), *langs],
            lambda: self.translator.translate_texts(texts, *langs, markup=self.style),
        )


def _label_nonempty(labeler: Labeler, sentences: Sequence[Sequence[str]]) -> list[Labelled]:
    """Labels of every sentence; empty ones get an empty label without asking the labeller."""
    todo = [i for i, words in enumerate(sentences) if words]
    labelled = labeler.label([sentences[i] for i in todo]) if todo else []
    if len(labelled) != len(todo):
        raise DataError(f"labeller returned {len(labelled)} labels for {len(todo)} sentences")
    out = [Labelled([]) for _ in sentences]
    for i, lab in zip(todo, labelled, strict=True):
        out[i] = lab
    return out


@dataclass(frozen=True)
class Label:
    """A labeller (of source or of target words) and its config."""

    labeler: Labeler
    config: Mapping[str, Any]

    def run(
        self, cache: StageCache, words: Words, key: str, skip_empty: bool = False
    ) -> tuple[list[Labelled], str]:
        """Labels of ``words`` (read under ``key``); ``skip_empty``: empty sentences get an
        empty label without asking the labeller."""
        labeler = self.labeler

        def compute() -> list[Labelled]:
            return _label_nonempty(labeler, words) if skip_empty else labeler.label(words)

        return _cached(cache, "label", self.config, [key], compute)


@dataclass(frozen=True)
class BackTranslate:
    """Marker-based back-translation (``aligner.via=backtranslation``) and its config."""

    backtranslation: BackTranslation
    config: Mapping[str, Any]

    def run(
        self,
        cache: StageCache,
        words: list[list[str]],
        entities: list[list[Entity]],
        input_key: str,
        langs: tuple[str, str],
    ) -> tuple[list[Marked], str]:
        """Per sentence: the back-translated words, their labelled spans and their origins."""
        bt = self.backtranslation
        return _cached(
            cache,
            "backtranslate",
            self.config,
            [input_key],
            lambda: backtranslate_marked(words, entities, bt, *langs),
        )


def _align(
    aligner: Aligner,
    pairs: list[tuple[list[str], list[str]]],
    training: Sequence[tuple[list[str], list[str]]] = (),
) -> list[Links]:
    """Links of every pair; a pair with an empty side has none and is not sent to the aligner.
    ``training``: more pairs an aligner that learns from text trains on (no links returned)."""
    todo = [k for k, (src, tgt) in enumerate(pairs) if src and tgt]
    todo_pairs = [pairs[k] for k in todo]
    if not todo:
        found = []
    elif training:
        found = aligner.align(todo_pairs, training=training)  # type: ignore[call-arg]
    else:
        found = aligner.align(todo_pairs)
    if len(found) != len(todo):
        raise DataError(f"aligner returned {len(found)} link sets for {len(todo)} sentence pairs")
    links: list[Links] = [set() for _ in pairs]
    for k, sent in zip(todo, found, strict=True):
        src, tgt = pairs[k]
        check_links(sent, len(src), len(tgt), k)
        links[k] = {(int(i), int(j)) for i, j in sent}
    return links


def training_pairs(pairs: Pairs, parallel_text: Pairs) -> list[tuple[list[str], list[str]]]:
    """``parallel_text`` less one occurrence of each pair in ``pairs`` and less empty sides:
    what an aligner learns from besides the pairs it links."""
    pending = Counter((tuple(s), tuple(t)) for s, t in pairs)
    out = []
    for s, t in parallel_text:
        key = (tuple(s), tuple(t))
        if pending[key] > 0:
            pending[key] -= 1
        elif s and t:
            out.append((list(s), list(t)))
    return out


@dataclass(frozen=True)
class Align:
    """The aligner, its config, and the parallel text an aligner that learns from text reads."""

    aligner: Aligner
    config: Mapping[str, Any]
    parallel_text: Pairs = ()

    def direct(
        self, cache: StageCache, src: list[list[str]], tgt: list[list[str]], pair_key: str
    ) -> tuple[list[Links], str]:
        """Links between source and target words (``pair_key`` fixes both sides)."""
        pairs = list(zip(src, tgt, strict=True))
        inputs, training = [pair_key], []
        if self.aligner.learns_from_text:
            training = training_pairs(pairs, self.parallel_text)
            extra = getattr(self.aligner, "extra_text", lambda: ([], []))()
            if training or extra[0]:
                inputs.append(fingerprint([*training, *zip(*extra, strict=True)]))
        return self._run(cache, self.config, inputs, pairs, training)

    def via_backtranslation(
        self, cache: StageCache, back: list[list[str]], tgt: list[list[str]], keys: list[str]
    ) -> tuple[list[Links], str]:
        """Links between back-translated and target words (a same-language alignment)."""
        config = {"aligner": self.config, "via": "backtranslation"}
        return self._run(cache, config, keys, list(zip(back, tgt, strict=True)), [])

    def _run(
        self,
        cache: StageCache,
        config: Mapping[str, Any],
        inputs: list[str],
        pairs: list[tuple[list[str], list[str]]],
        training: list[tuple[list[str], list[str]]],
    ) -> tuple[list[Links], str]:
        return _cached(
            cache, "align", config, inputs, lambda: _align(self.aligner, pairs, training)
        )


@dataclass
class Rows:
    """What the projector reads, one item per sentence."""

    src_words: list[list[str]]
    src_entities: list[list[Entity]]
    tgt_words: list[list[str]]
    links: list[Links]
    scores: list[ScoreInputs | None] = field(default_factory=list)  # from the side inputs ...
    score_configs: dict[str, Any] = field(default_factory=dict)  # ... made with these configs


def project_rows(projector: Projector, rows: Rows) -> list[Projection]:
    """Every sentence's projection; one with no entity or no target word is not sent."""
    out = []
    scores = rows.scores or [None] * len(rows.links)
    items = zip(rows.src_words, rows.src_entities, rows.tgt_words, rows.links, scores, strict=True)
    for src, ents, tgt, links, scores in tqdm(
        items, total=len(rows.links), desc="project", disable=None
    ):
        if not ents or not tgt:  # nothing to project, or nowhere to put it
            out.append(Projection([], list(ents)))
            continue
        out.append(projector.project(src, ents, tgt, links, scores))
    return out


@dataclass(frozen=True)
class Project:
    """The projector and its config."""

    projector: Projector
    config: Mapping[str, Any]

    def run(self, cache: StageCache, rows: Rows, inputs: list[str]) -> tuple[list[Projection], str]:
        """Projections of ``rows`` (read under ``inputs``); the configs of the side inputs that
        made ``rows.scores`` join the key."""
        side = rows.score_configs
        config = {"projector": self.config, **side} if side else self.config
        return _cached(cache, "project", config, inputs, lambda: project_rows(self.projector, rows))


# The pipeline's own code in each stage's cache key; the config's `_target_` classes are added.
STAGE_CODE: dict[str, tuple[Callable[..., Any] | str, ...]] = {
    "translate": (),
    "translate_checked": (guard_translations,),
    "translate_marked": (),
    "label": (_label_nonempty, *CODECS["label"]),
    "backtranslate": (backtranslate_marked, *CODECS["backtranslate"]),
    "align": (_align, *CODECS["align"]),
    "project": (project_rows, *CODECS["project"], "xner.pipeline.side_inputs"),
}
