"""The data-transfer pipeline: translate -> label -> align -> project, each stage cached.

``translate_test``: target sentences are translated into the source language, the
translations are labelled, aligned with the original sentences, and their entities are
projected back onto the original target words.

``translate_train``: labelled source sentences are translated into the target language,
aligned with their translations, and their entities are projected onto the translations
(a silver training set); sentences whose entities could not all be projected are dropped
unless ``keep_incomplete`` is set.

With ``projector=markers`` there is no alignment: the entities travel through the translation
inside markers (:mod:`xner.pipeline.marked`; translate-train's silver sentences are the marked
translations, markers removed), and the marker counts join the summary.

With back-translation (``aligner.via=backtranslation``, :mod:`xner.pipeline.backtranslation`)
the labelled back-translation of each source sentence is aligned with the target sentence (a
same-language alignment) and projected onto it; those links replace the direct ones.

Bad translations are repaired and counted, never silently passed on
(:mod:`xner.pipeline.guards`): an *empty* translation of a non-empty sentence is neither
labelled nor aligned (``translate_test``: the target sentence keeps all-``O`` tags;
``translate_train``: the sentence is dropped and its entities count as dropped), counted in
``n_empty_translations``; a *runaway* one is cut, counted in ``n_truncated_translations``.
Sentences where the projector could not meet its constraints (an infeasible ILP ``eq``/``ge``)
are logged and counted in ``n_unmet``.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from xner.data.conll import TaggedSentence
from xner.data.entity import Entity
from xner.data.tags import entities, tags_from_entities
from xner.errors import ConfigError, DataError
from xner.pipeline.cache import StageCache, fingerprint
from xner.pipeline.guards import TranslationCheck, shown
from xner.pipeline.marked import project_test, project_train, translate_marked
from xner.pipeline.side_inputs import SideInputs
from xner.pipeline.stages import (
    Align,
    BackTranslate,
    Label,
    Project,
    Rows,
    Translate,
    TranslateMarked,
)
from xner.project.base import Projection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pipeline:
    """One run's configured stages and the cache they share (built once from the config by
    :func:`xner.pipeline.from_config.build_pipeline`)."""

    cache: StageCache
    src_lang: str
    tgt_lang: str
    translate: Translate
    align: Align
    project: Project
    label: Label | None = None  # test: labels translations; train: relabels the source
    backtranslate: BackTranslate | None = None  # aligner.via=backtranslation
    side_inputs: SideInputs = field(default_factory=SideInputs)
    mark: TranslateMarked | None = None  # projector=markers: no alignment, markers instead


@dataclass
class PipelineResult:
    sentences: list[TaggedSentence]
    n_source_entities: int = 0
    n_projected: int = 0
    n_dropped: int = 0
    n_sentences_dropped: int = 0
    n_empty_translations: int = 0
    n_truncated_translations: int = 0
    n_unmet: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    kept: list[int] = field(default_factory=list)
    source: list[TaggedSentence] = field(default_factory=list)
    marker_counts: dict[str, int] = field(default_factory=dict)  # projector=markers

    @property
    def projected_share(self) -> float:
        return self.n_projected / self.n_source_entities if self.n_source_entities else 1.0

    def summary(self) -> dict[str, float]:
        """The counts as ``projection/...`` metrics."""
        return {
            "projection/sentences": len(self.sentences),
            "projection/source_entities": self.n_source_entities,
            "projection/projected": self.n_projected,
            "projection/dropped": self.n_dropped,
            "projection/sentences_dropped": self.n_sentences_dropped,
            "projection/empty_translations": self.n_empty_translations,
            "projection/truncated_translations": self.n_truncated_translations,
            "projection/unmet_constraints": self.n_unmet,
            "projection/projected_share": self.projected_share,
            **{f"projection/markers_{k}": v for k, v in self.marker_counts.items()},
        }


@dataclass
class _Transfer:
    """One direction's inputs to the shared align + project core."""

    src_words: list[list[str]]  # the labelled side (source language)
    src_entities: list[list[Entity]]
    tgt_words: list[list[str]]  # the side that receives the labels (target language)
    src_key: str  # cache key of the source words + labels
    pair_key: str  # cache key that fixes both word sides
    tgt_key: str  # cache key of the target words


# What happens to a sentence whose translation came back empty, per direction.
IF_EMPTY = {
    "test": "those target sentences keep O tags",
    "train": "those sentences and their entities are dropped",
}


@dataclass
class _Translation:
    """The words of one direction's input, their translations and the run's keys so far."""

    words: list[list[str]]
    words_key: str
    check: TranslationCheck
    key: str  # of the checked translations
    keys: dict[str, str]


def _translate(p: Pipeline, sentences: Sequence[TaggedSentence], direction: str) -> _Translation:
    """``sentences`` translated: target -> source for ``test``, source -> target for ``train``."""
    words = [list(s.words) for s in sentences]
    words_key = fingerprint(words)
    langs = (p.tgt_lang, p.src_lang) if direction == "test" else (p.src_lang, p.tgt_lang)
    raw = p.translate.run(p.cache, words, words_key, langs)
    check, key = p.translate.checked(p.cache, words, raw, IF_EMPTY[direction])
    return _Translation(words, words_key, check, key, {"translate": raw[1]})


def _links(p: Pipeline, t: _Transfer, keys: dict[str, str]) -> tuple[Rows, list[list[int]]]:
    """The rows the projector reads (without scores) and, per sentence, the source entity
    each of its projected entities stands for."""
    if p.backtranslate is None:
        links, keys["align"] = p.align.direct(p.cache, t.src_words, t.tgt_words, t.pair_key)
        origins = [list(range(len(ents))) for ents in t.src_entities]
        return Rows(t.src_words, t.src_entities, t.tgt_words, links), origins
    langs = (p.src_lang, p.tgt_lang)
    marked, keys["backtranslate"] = p.backtranslate.run(
        p.cache, t.src_words, t.src_entities, t.src_key, langs
    )
    back = [words for words, _, _ in marked]
    inputs = [keys["backtranslate"], t.tgt_key]
    links, keys["align"] = p.align.via_backtranslation(p.cache, back, t.tgt_words, inputs)
    rows = Rows(back, [ents for _, ents, _ in marked], t.tgt_words, links)
    return rows, [origin for _, _, origin in marked]


def _warn_unmet(projections: Sequence[Projection]) -> int:
    unmet = [i for i, p in enumerate(projections) if p.unmet]
    if unmet:
        log.warning(
            "the projector could not meet its constraints in %d of %d sentences (%s): they got %s",
            len(unmet),
            len(projections),
            shown(unmet),
            ", ".join(sorted({projections[i].status for i in unmet})),
        )
    return len(unmet)


def _in_source_terms(
    t: _Transfer, rows: Rows, projections: Sequence[Projection], origins: list[list[int]]
) -> list[Projection]:
    """Drops reported in terms of the original source entities (marker matching loses some)."""
    final = []
    for ents, pents, proj, origin in zip(
        t.src_entities, rows.src_entities, projections, origins, strict=True
    ):
        lost = set(proj.dropped)
        kept = {origin[k] for k, e in enumerate(pents) if e not in lost}
        dropped = [e for i, e in enumerate(ents) if i not in kept]
        final.append(Projection(list(proj.entities), dropped))
    return final


def _align_and_project(
    p: Pipeline, t: _Transfer, keys: dict[str, str]
) -> tuple[list[Projection], int]:
    """Align, gather the side inputs and project; the projections and the unmet count."""
    rows, origins = _links(p, t, keys)
    gathered = p.side_inputs.gather(p.cache, t.tgt_words, t.tgt_key)
    rows.scores, side_keys, rows.score_configs = gathered
    keys.update(side_keys)
    inputs = [keys["align"], keys.get("backtranslate", t.src_key), *side_keys.values()]
    projections, keys["project"] = p.project.run(p.cache, rows, inputs)
    unmet = _warn_unmet(projections)
    return _in_source_terms(t, rows, projections, origins), unmet


def _tagged(words: Sequence[str], proj: Projection, idx: int) -> list[str]:
    try:
        return tags_from_entities(len(words), proj.entities)
    except ValueError as err:
        raise DataError(f"sentence {idx}: projector returned invalid spans: {err}") from None


def _counts(
    src_entities: Sequence[Sequence[Entity]],
    projections: Sequence[Projection],
    check: TranslationCheck,
    unmet: int,
) -> dict[str, int]:
    return {
        "n_source_entities": sum(len(e) for e in src_entities),
        "n_projected": sum(len(p.entities) for p in projections),
        "n_dropped": sum(len(p.dropped) for p in projections),
        "n_empty_translations": len(check.empty),
        "n_truncated_translations": len(check.truncated),
        "n_unmet": unmet,
    }


def _train_by_markers(
    p: Pipeline, words: list[list[str]], src_entities: list[list[Entity]], keys: dict[str, str]
) -> tuple[TranslationCheck, list[Projection], dict[str, int]]:
    """translate-train by markers: the marked translation is the silver sentence."""
    assert p.mark is not None
    langs = (p.src_lang, p.tgt_lang)
    reads, keys["translate_marked"] = translate_marked(p.mark, p.cache, words, src_entities, langs)
    raw = ([r.words for r in reads], keys["translate_marked"])
    check, keys["translate"] = p.translate.checked(p.cache, words, raw, IF_EMPTY["train"])
    limits = [len(words) for words in check.translations]
    projections, counts = project_train(p.project.projector, reads, src_entities, limits)
    return check, projections, counts


def _test_by_markers(
    p: Pipeline,
    translations: list[list[str]],
    src_entities: list[list[Entity]],
    tgt_words: list[list[str]],
    keys: dict[str, str],
) -> tuple[list[Projection], dict[str, int]]:
    """translate-test by markers: the labelled translation marked, translated back and each
    marked span found in the original sentence."""
    assert p.mark is not None
    langs = (p.src_lang, p.tgt_lang)
    reads, keys["translate_marked"] = translate_marked(
        p.mark, p.cache, translations, src_entities, langs
    )
    return project_test(p.project.projector, reads, src_entities, tgt_words)


def translate_test(pipeline: Pipeline, target: Sequence[TaggedSentence]) -> PipelineResult:
    """Label ``target`` (in the target language) through a translation into the source language.

    The returned sentences are the original target words with projected tags; their order
    and length follow ``target``. A sentence whose translation came back empty keeps all-O
    tags (counted, logged).
    """
    if pipeline.label is None:
        raise ConfigError("translate_test needs a labeller (labeler=gold or labeler=model)")
    tr = _translate(pipeline, target, "test")
    tgt_words, translations, keys = tr.words, tr.check.translations, tr.keys
    labels, keys["label"] = pipeline.label.run(
        pipeline.cache, translations, tr.key, skip_empty=True
    )
    src_entities = [entities(lab.tags) for lab in labels]
    marker_counts: dict[str, int] = {}
    if pipeline.mark is None:
        t = _Transfer(translations, src_entities, tgt_words, keys["label"], tr.key, tr.words_key)
        projections, unmet = _align_and_project(pipeline, t, keys)
    else:
        projections, marker_counts = _test_by_markers(
            pipeline, translations, src_entities, tgt_words, keys
        )
        unmet = 0
    sentences = [
        TaggedSentence(list(words), _tagged(words, proj, i))
        for i, (words, proj) in enumerate(zip(tgt_words, projections, strict=True))
    ]
    source = [
        TaggedSentence(list(w), list(lab.tags)) for w, lab in zip(translations, labels, strict=True)
    ]
    return PipelineResult(
        sentences,
        keys=keys,
        kept=list(range(len(sentences))),
        source=source,
        marker_counts=marker_counts,
        **_counts(src_entities, projections, tr.check, unmet),
    )


def translate_train(
    pipeline: Pipeline, source: Sequence[TaggedSentence], keep_incomplete: bool = False
) -> PipelineResult:
    """A silver target-language training set from labelled ``source`` sentences.

    The source tags are used as they are unless the pipeline has a labeller (it relabels the
    source words). A sentence with an entity that could not be projected is dropped unless
    ``keep_incomplete``; ``kept`` lists the source indices of the returned sentences. A
    sentence whose translation came back empty is always dropped (counted, logged).
    """
    src_words = [list(s.words) for s in source]
    keys: dict[str, str] = {}
    tags = _source_tags(pipeline, source, keys)
    src_entities = [entities(t) for t in tags]
    marker_counts: dict[str, int] = {}
    if pipeline.mark is None:
        tr = _translate(pipeline, source, "train")
        keys.update(tr.keys)
        check, translations = tr.check, tr.check.translations
        t = _Transfer(src_words, src_entities, translations, keys["label"], tr.key, tr.key)
        projections, unmet = _align_and_project(pipeline, t, keys)
    else:
        check, projections, marker_counts = _train_by_markers(
            pipeline, src_words, src_entities, keys
        )
        translations, unmet = check.translations, 0
    sentences, kept = _silver(translations, projections, keep_incomplete)
    return PipelineResult(
        sentences,
        n_sentences_dropped=len(source) - len(sentences),
        keys=keys,
        kept=kept,
        source=[TaggedSentence(list(w), list(t)) for w, t in zip(src_words, tags, strict=True)],
        marker_counts=marker_counts,
        **_counts(src_entities, projections, check, unmet),
    )


def _source_tags(
    pipeline: Pipeline, source: Sequence[TaggedSentence], keys: dict[str, str]
) -> list[list[str]]:
    """translate-train's source tags: as given, or the pipeline labeller's on the source words."""
    if pipeline.label is None:
        keys["label"] = fingerprint(source)
        return [list(s.tags) for s in source]
    src_words = [list(s.words) for s in source]
    labels, keys["label"] = pipeline.label.run(pipeline.cache, src_words, fingerprint(src_words))
    return [lab.tags for lab in labels]


def _silver(
    translations: Sequence[Sequence[str]],
    projections: Sequence[Projection],
    keep_incomplete: bool,
) -> tuple[list[TaggedSentence], list[int]]:
    """The projected translations kept as silver sentences, and their source indices: not
    empty, and every entity projected unless ``keep_incomplete``."""
    sentences, kept = [], []
    for i, (words, proj) in enumerate(zip(translations, projections, strict=True)):
        if (proj.dropped and not keep_incomplete) or not words:
            continue
        sentences.append(TaggedSentence(list(words), _tagged(words, proj, i)))
        kept.append(i)
    return sentences, kept
