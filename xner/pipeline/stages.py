"""The data-transfer pipeline: translate -> label -> align -> project, each stage cached.

``translate_test``: target sentences are translated into the source language, the
translations are labelled, aligned with the original sentences, and their entities are
projected back onto the original target words.

``translate_train``: labelled source sentences are translated into the target language,
aligned with their translations, and their entities are projected onto the translations
(a silver training set); sentences whose entities could not all be projected are dropped
unless ``keep_incomplete`` is set.

Every stage is cached under a key made of its own config (``stage_configs[name]``), the
keys of the stages it reads and the fingerprint of its code (:data:`STAGE_CODE` plus the
classes its config's ``_target_`` names), so a projector sweep reuses the translation and the
alignment, an aligner sweep reuses the translation and the labels, and changed code recomputes.

With ``backtranslation`` (``aligner.via=backtranslation``), the labelled source sentence is
translated into the target language with its entities wrapped in ``[ ... ]`` markers; each
marked span takes the label of the source entity whose own translation matches it best
(rapidfuzz ratio >= ``threshold``, each entity used once, unmatched markers dropped); the
labelled back-translation is aligned with the target sentence (a same-language alignment)
and projected onto it. Those links replace the direct source-target links.

Bad translations are repaired and counted, never silently passed on (:func:`guard_translations`):

- an *empty* translation of a non-empty sentence is neither labelled nor aligned. In
  ``translate_test`` the target sentence keeps all-``O`` tags; in ``translate_train`` the
  sentence is dropped and its entities count as dropped. Logged as a warning naming the
  sentences; ``n_empty_translations`` counts them.
- a *runaway* translation, longer than ``max_length_ratio`` x the input's words +
  ``length_slack`` (NMT repetition loops), is cut to that length before anything reads it;
  logged and counted in ``n_truncated_translations``. The cut is part of the downstream cache
  keys, so changing the limit relabels and realigns; the raw translation stays cached.
- a sentence pair with an empty side gets no links without calling the aligner; links outside
  either sentence are a DataError naming the pair (:func:`xner.align.base.check_links`).

An aligner that learns from text (eflomal) trains on the pairs being projected plus
``parallel_text`` (every pair of a parallel corpus, all splits, e.g. the reference translator's
corpus; those already being projected are not repeated) plus its own extra text, and returns
links for the projected pairs only. The alignment's cache key includes that training text.

Sentences where the projector could not meet its constraints (an infeasible ILP ``eq``/``ge``)
are logged and counted in ``n_unmet``.
"""

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from tqdm import tqdm

from xner.align.base import Aligner, check_links
from xner.data.conll import TaggedSentence
from xner.data.entity import Entity
from xner.data.tags import entities, tags_from_entities
from xner.errors import ConfigError, DataError
from xner.labelers.base import Labeler, Labelled
from xner.pipeline.cache import StageCache, fingerprint
from xner.project.base import Projection, Projector
from xner.translate.base import Translator

log = logging.getLogger(__name__)
Links = set[tuple[int, int]]
OPEN, CLOSE = "[", "]"
MAX_LENGTH_RATIO = 3.0  # a translation may have this many words per input word ...
LENGTH_SLACK = 10  # ... plus this many, before it counts as runaway and is cut
SHOWN = 5  # sentence indices named in a warning


@dataclass
class BackTranslation:
    """Marker-based back-translation into the target language (EasyProject style)."""

    translator: Translator
    threshold: float = 0.5
    open_marker: str = OPEN
    close_marker: str = CLOSE


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

    @property
    def projected_share(self) -> float:
        return self.n_projected / self.n_source_entities if self.n_source_entities else 1.0


# -- cache encodings --------------------------------------------------------------------------


def _encode_labels(labels: Sequence[Labelled]) -> dict[str, Any]:
    has_probs = bool(labels) and all(lab.probs is not None for lab in labels)
    out: dict[str, Any] = {"tags": [lab.tags for lab in labels], "probs": None, "names": None}
    if has_probs:
        out["names"] = [lab.label_names for lab in labels]
        width = len(labels[0].label_names or [])
        out["probs"] = np.concatenate(
            [np.asarray(lab.probs, dtype=np.float32).reshape(-1, width) for lab in labels]
        )
    return out


def _decode_labels(data: Mapping[str, Any]) -> list[Labelled]:
    if data["probs"] is None:
        return [Labelled(list(tags)) for tags in data["tags"]]
    bounds = np.cumsum([0, *(len(tags) for tags in data["tags"])])
    return [
        Labelled(list(tags), data["probs"][bounds[i] : bounds[i + 1]], list(names))
        for i, (tags, names) in enumerate(zip(data["tags"], data["names"], strict=True))
    ]


def _encode_links(links: Sequence[Links]) -> list[list[list[int]]]:
    return [sorted([int(i), int(j)] for i, j in sent) for sent in links]


def _decode_links(data: Sequence[Sequence[Sequence[int]]]) -> list[Links]:
    return [{(int(i), int(j)) for i, j in sent} for sent in data]


def _encode_projections(projections: Sequence[Projection]) -> list[dict[str, Any]]:
    return [
        {
            "entities": [list(e) for e in p.entities],
            "dropped": [list(e) for e in p.dropped],
            "status": p.status,
        }
        for p in projections
    ]


def _decode_projections(data: Sequence[Mapping[str, Any]]) -> list[Projection]:
    return [
        Projection(
            [Entity(*e) for e in p["entities"]],
            [Entity(*e) for e in p["dropped"]],
            str(p.get("status", "")),
        )
        for p in data
    ]


def _encode_marked(marked: Sequence[tuple[list[str], list[Entity], list[int]]]) -> list:
    return [[words, [list(e) for e in ents], origin] for words, ents, origin in marked]


def _decode_marked(data: Sequence) -> list[tuple[list[str], list[Entity], list[int]]]:
    return [(list(w), [Entity(*e) for e in ents], list(origin)) for w, ents, origin in data]


# -- back-translation ---------------------------------------------------------------------------


def insert_markers(
    words: Sequence[str],
    spans: Sequence[Entity],
    open_marker: str = OPEN,
    close_marker: str = CLOSE,
) -> list[str]:
    """Words with every entity wrapped in markers: ``[ Barack Obama ] visited [ Kano ]``."""
    starts = {e.start for e in spans}
    ends = {e.end for e in spans}
    out: list[str] = []
    for i, word in enumerate(words):
        if i in ends:
            out.append(close_marker)
        if i in starts:
            out.append(open_marker)
        out.append(word)
    if len(words) in ends:
        out.append(close_marker)
    return out


def parse_markers(
    words: Sequence[str], open_marker: str = OPEN, close_marker: str = CLOSE
) -> tuple[list[str], list[tuple[int, int]]]:
    """Words without markers and the (start, end) spans they enclosed.

    An opening marker inside an open span restarts it; a closing marker with no open span,
    an empty span and a span still open at the end are dropped.
    """
    clean: list[str] = []
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for word in words:
        if word == open_marker:
            start = len(clean)
        elif word == close_marker:
            if start is not None and len(clean) > start:
                spans.append((start, len(clean)))
            start = None
        else:
            clean.append(word)
    return clean, spans


def match_spans(
    span_texts: Sequence[str], entity_texts: Sequence[str], threshold: float
) -> dict[int, int]:
    """Span index -> entity index: best fuzzy ratio first, each used once, ratio >= threshold.

    Ratios are rapidfuzz's ``fuzz.ratio`` on lowercased strings, scaled to [0, 1]; ties go to
    the earlier span, then the earlier entity.
    """
    from rapidfuzz import fuzz

    scored = []
    for s, span in enumerate(span_texts):
        for e, ent in enumerate(entity_texts):
            ratio = fuzz.ratio(span.lower(), ent.lower()) / 100.0
            if ratio >= threshold:
                scored.append((-ratio, s, e))
    used_spans: set[int] = set()
    used_entities: set[int] = set()
    out: dict[int, int] = {}
    for _, s, e in sorted(scored):
        if s in used_spans or e in used_entities:
            continue
        out[s] = e
        used_spans.add(s)
        used_entities.add(e)
    return out


def backtranslate_marked(
    src_words: Sequence[Sequence[str]],
    src_entities: Sequence[Sequence[Entity]],
    bt: BackTranslation,
    src_lang: str,
    tgt_lang: str,
) -> list[tuple[list[str], list[Entity], list[int]]]:
    """Per sentence: back-translated words, their labelled spans, and each span's source entity."""
    marked = [
        insert_markers(w, ents, bt.open_marker, bt.close_marker)
        for w, ents in zip(src_words, src_entities, strict=True)
    ]
    translated = bt.translator.translate(marked, src_lang, tgt_lang)
    phrases = [
        list(w[e.start : e.end])
        for w, ents in zip(src_words, src_entities, strict=True)
        for e in ents
    ]
    phrase_tr = bt.translator.translate(phrases, src_lang, tgt_lang) if phrases else []
    out = []
    pos = 0
    for ents, words in zip(src_entities, translated, strict=True):
        own = [" ".join(t) for t in phrase_tr[pos : pos + len(ents)]]
        pos += len(ents)
        clean, spans = parse_markers(words, bt.open_marker, bt.close_marker)
        texts = [" ".join(clean[s:e]) for s, e in spans]
        matched = match_spans(texts, own, bt.threshold)
        chosen = sorted(
            ((spans[s][0], spans[s][1], e) for s, e in matched.items()), key=lambda t: t[:2]
        )
        kept: list[Entity] = []
        origin: list[int] = []
        for start, end, e in chosen:
            span = Entity(start, end, ents[e].label)
            if kept and kept[-1].overlaps(span):
                continue
            kept.append(span)
            origin.append(e)
        out.append((clean, kept, origin))
    return out


# -- translation checks ---------------------------------------------------------------------------


@dataclass
class TranslationCheck:
    """Translations after the checks, and which sentences were empty or cut."""

    translations: list[list[str]]
    empty: list[int]
    truncated: list[int]


def length_limit(n_words: int, max_ratio: float | None, slack: int) -> int | None:
    """Most words a translation of ``n_words`` words may have (None: no limit)."""
    if not max_ratio:
        return None
    return int(max_ratio * n_words) + slack


def guard_translations(
    sources: Sequence[Sequence[str]],
    translations: Sequence[Sequence[str]],
    max_ratio: float | None = MAX_LENGTH_RATIO,
    slack: int = LENGTH_SLACK,
) -> TranslationCheck:
    """Find empty translations of non-empty sentences and cut runaway ones to the limit."""
    if len(sources) != len(translations):
        raise DataError(
            f"translator returned {len(translations)} translations for {len(sources)} sentences"
        )
    out, empty, truncated = [], [], []
    for i, (src, words) in enumerate(zip(sources, translations, strict=True)):
        words = list(words)
        limit = length_limit(len(src), max_ratio, slack)
        if src and not words:
            empty.append(i)
        elif limit is not None and len(words) > limit:
            words = words[:limit]
            truncated.append(i)
        out.append(words)
    return TranslationCheck(out, empty, truncated)


def _shown(indices: Sequence[int]) -> str:
    more = f" and {len(indices) - SHOWN} more" if len(indices) > SHOWN else ""
    return ", ".join(map(str, indices[:SHOWN])) + more


def _checked_translations(
    cache: StageCache,
    sources: Sequence[Sequence[str]],
    translations: list[list[str]],
    raw_key: str,
    max_ratio: float | None,
    slack: int,
    consequence: str,
) -> tuple[TranslationCheck, str]:
    """The checked translations and the key later stages use for them."""
    check = guard_translations(sources, translations, max_ratio, slack)
    if check.empty:
        log.warning(
            "%d of %d translations came back empty (sentences %s): %s",
            len(check.empty),
            len(sources),
            _shown(check.empty),
            consequence,
        )
    if not check.truncated:
        return check, raw_key
    log.warning(
        "%d translations are longer than %s x the input + %d words and were cut (sentences %s)",
        len(check.truncated),
        max_ratio,
        slack,
        _shown(check.truncated),
    )
    limits = {"max_length_ratio": max_ratio, "length_slack": slack}
    return check, cache.key(
        "translate_checked", limits, [raw_key], code=STAGE_CODE["translate_checked"]
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


# -- stages -------------------------------------------------------------------------------------


def _config(stage_configs: Mapping[str, Any], name: str) -> Any:
    if name not in stage_configs:
        raise ConfigError(f"pipeline: no config given for stage {name!r} (stage_configs)")
    return stage_configs[name]


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


def training_pairs(
    pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
    parallel_text: Sequence[tuple[Sequence[str], Sequence[str]]],
) -> list[tuple[list[str], list[str]]]:
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


def _score_inputs(probs: Labelled | None, nmt: Any) -> Any:
    if (probs is None or probs.probs is None) and nmt is None:
        return None
    from xner.project.scores import ScoreInputs

    if probs is None or probs.probs is None:
        return ScoreInputs(nmt=nmt)
    return ScoreInputs(ner_probs=probs.probs, label_names=probs.label_names, nmt=nmt)


@dataclass
class _Transfer:
    """One direction's inputs to the shared align + project core."""

    src_words: list[list[str]]  # the labelled side (source language)
    src_entities: list[list[Entity]]
    tgt_words: list[list[str]]  # the side that receives the labels (target language)
    src_key: str  # cache key of the source words + labels
    pair_key: str  # cache key that fixes both word sides
    tgt_key: str  # cache key of the target words


@dataclass
class _Run:
    """The stages and settings both directions share, and the cache keys of one run."""

    translator: Translator
    aligner: Aligner
    projector: Projector
    cache: StageCache
    src_lang: str
    tgt_lang: str
    stage_configs: Mapping[str, Any]
    backtranslation: BackTranslation | None
    target_labeler: Labeler | None
    nmt_scorer: Any
    max_length_ratio: float | None
    length_slack: int
    parallel_text: Sequence[tuple[Sequence[str], Sequence[str]]]
    keys: dict[str, str] = field(default_factory=dict)
    unmet: int = 0  # sentences whose projection could not meet the projector's constraints

    @classmethod
    def of(cls, args: Mapping[str, Any]) -> "_Run":
        """From a public entry point's arguments (its ``locals()``); the others are ignored."""
        own = ("keys", "unmet")
        return cls(**{f.name: args[f.name] for f in fields(cls) if f.name not in own})

    def translate(
        self, words: list[list[str]], data_key: str, *, reverse: bool, consequence: str
    ) -> tuple[TranslationCheck, str]:
        """Checked translations of ``words`` (target -> source when ``reverse``) and their key."""
        langs = (self.tgt_lang, self.src_lang) if reverse else (self.src_lang, self.tgt_lang)
        raw, self.keys["translate"] = self.cache.get_or_compute(
            "translate",
            _config(self.stage_configs, "translator"),
            [data_key, *langs],
            lambda: self.translator.translate(words, *langs),
            decode=lambda data: [list(w) for w in data],
            code=STAGE_CODE["translate"],
        )
        return _checked_translations(
            self.cache,
            words,
            raw,
            self.keys["translate"],
            self.max_length_ratio,
            self.length_slack,
            consequence,
        )

    def label(
        self, key: str, config: str, input_key: str, compute: Callable[[], list[Labelled]]
    ) -> list[Labelled]:
        """The cached ``label`` stage under ``stage_configs[config]``; its key goes to ``key``."""
        labels, self.keys[key] = self.cache.get_or_compute(
            "label",
            _config(self.stage_configs, config),
            [input_key],
            compute,
            _encode_labels,
            _decode_labels,
            code=STAGE_CODE["label"],
        )
        return labels

    def _links(self, t: _Transfer) -> tuple[list[list[str]], list[list[Entity]], list, list]:
        """(source words, entities, origins, links) that the projector reads."""
        aligner_cfg = _config(self.stage_configs, "aligner")
        bt = self.backtranslation
        if bt is None:
            pairs = list(zip(t.src_words, t.tgt_words, strict=True))
            align_cfg, align_inputs = aligner_cfg, [t.pair_key]
            training: list[tuple[list[str], list[str]]] = []
            if self.aligner.learns_from_text:
                training = training_pairs(pairs, self.parallel_text)
                extra = getattr(self.aligner, "extra_text", lambda: ([], []))()
                if training or extra[0]:
                    align_inputs.append(fingerprint([*training, *zip(*extra, strict=True)]))
            proj_src, proj_entities = t.src_words, t.src_entities
            origins = [list(range(len(ents))) for ents in t.src_entities]
        else:
            marked, self.keys["backtranslate"] = self.cache.get_or_compute(
                "backtranslate",
                _config(self.stage_configs, "backtranslation"),
                [t.src_key],
                lambda: backtranslate_marked(
                    t.src_words, t.src_entities, bt, self.src_lang, self.tgt_lang
                ),
                _encode_marked,
                _decode_marked,
                code=STAGE_CODE["backtranslate"],
            )
            proj_src = [words for words, _, _ in marked]
            proj_entities = [ents for _, ents, _ in marked]
            origins = [origin for _, _, origin in marked]
            pairs = list(zip(proj_src, t.tgt_words, strict=True))
            align_cfg = {"aligner": aligner_cfg, "via": "backtranslation"}
            training = []
            align_inputs = [self.keys["backtranslate"], t.tgt_key]
        links, self.keys["align"] = self.cache.get_or_compute(
            "align",
            align_cfg,
            align_inputs,
            lambda: _align(self.aligner, pairs, training),
            _encode_links,
            _decode_links,
            code=STAGE_CODE["align"],
        )
        return proj_src, proj_entities, origins, links

    def align_and_project(self, t: _Transfer) -> list[Projection]:
        proj_src, proj_entities, origins, links = self._links(t)
        probs: list[Labelled | None] = [None] * len(t.tgt_words)
        project_inputs = [self.keys["align"], self.keys.get("backtranslate", t.src_key)]
        target_labeler = self.target_labeler
        if target_labeler is not None:
            probs = list(
                self.label(
                    "target_label",
                    "target_labeler",
                    t.tgt_key,
                    lambda: target_labeler.label(t.tgt_words),
                )
            )
            project_inputs.append(self.keys["target_label"])
        projector_cfg = _config(self.stage_configs, "projector")
        if self.nmt_scorer is not None:
            projector_cfg = {
                "projector": projector_cfg,
                "nmt": _config(self.stage_configs, "nmt"),
            }

        def compute() -> list[Projection]:
            out = []
            rows = zip(proj_src, proj_entities, t.tgt_words, links, probs, strict=True)
            for src, ents, tgt, sent_links, prob in tqdm(
                rows, total=len(links), desc="project", disable=None
            ):
                if not ents or not tgt:  # nothing to project, or nowhere to put it
                    out.append(Projection([], list(ents)))
                    continue
                inputs = _score_inputs(prob, self.nmt_scorer)
                out.append(self.projector.project(src, ents, tgt, sent_links, inputs))
            return out

        projections, self.keys["project"] = self.cache.get_or_compute(
            "project",
            projector_cfg,
            project_inputs,
            compute,
            _encode_projections,
            _decode_projections,
            code=STAGE_CODE["project"],
        )
        unmet = [i for i, p in enumerate(projections) if p.unmet]
        self.unmet = len(unmet)
        if unmet:
            log.warning(
                "the projector could not meet its constraints in %d of %d sentences (%s): "
                "they got %s",
                len(unmet),
                len(projections),
                _shown(unmet),
                ", ".join(sorted({projections[i].status for i in unmet})),
            )
        # Report drops in terms of the original source entities (marker matching loses some).
        final = []
        for ents, pents, proj, origin in zip(
            t.src_entities, proj_entities, projections, origins, strict=True
        ):
            lost = set(proj.dropped)
            kept = {origin[k] for k, e in enumerate(pents) if e not in lost}
            dropped = [e for i, e in enumerate(ents) if i not in kept]
            final.append(Projection(list(proj.entities), dropped))
        return final

    def result(
        self,
        sentences: list[TaggedSentence],
        src_entities: Sequence[Sequence[Entity]],
        projections: Sequence[Projection],
        check: TranslationCheck,
        kept: list[int],
        source: list[TaggedSentence],
        n_sentences_dropped: int = 0,
    ) -> PipelineResult:
        return PipelineResult(
            sentences=sentences,
            n_source_entities=sum(len(e) for e in src_entities),
            n_projected=sum(len(p.entities) for p in projections),
            n_dropped=sum(len(p.dropped) for p in projections),
            n_sentences_dropped=n_sentences_dropped,
            n_empty_translations=len(check.empty),
            n_truncated_translations=len(check.truncated),
            n_unmet=self.unmet,
            keys=self.keys,
            kept=kept,
            source=source,
        )


# The pipeline's own code in each stage's cache key; the config's `_target_` classes are added.
STAGE_CODE: dict[str, tuple[Callable[..., Any], ...]] = {
    "translate": (),
    "translate_checked": (guard_translations,),
    "label": (_label_nonempty, _encode_labels, _decode_labels),
    "backtranslate": (backtranslate_marked, _encode_marked, _decode_marked),
    "align": (_align, _encode_links, _decode_links),
    "project": (_Run.align_and_project, _encode_projections, _decode_projections),
}


def _tagged(words: Sequence[str], proj: Projection, idx: int) -> list[str]:
    try:
        return tags_from_entities(len(words), proj.entities)
    except ValueError as err:
        raise DataError(f"sentence {idx}: projector returned invalid spans: {err}") from None


def translate_test(
    target: Sequence[TaggedSentence],
    *,
    translator: Translator,
    labeler: Labeler,
    aligner: Aligner,
    projector: Projector,
    cache: StageCache,
    src_lang: str,
    tgt_lang: str,
    stage_configs: Mapping[str, Any],
    backtranslation: BackTranslation | None = None,
    target_labeler: Labeler | None = None,
    nmt_scorer: Any = None,
    max_length_ratio: float | None = MAX_LENGTH_RATIO,
    length_slack: int = LENGTH_SLACK,
    parallel_text: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
) -> PipelineResult:
    """Label ``target`` (in ``tgt_lang``) through a translation into ``src_lang``.

    The returned sentences are the original target words with projected tags; their order
    and length follow ``target``. ``target_labeler`` gives target-side probabilities to the
    ILP ``ner`` score; ``nmt_scorer`` its ``nmt`` score (its config: ``stage_configs['nmt']``).
    ``parallel_text``: (source, target) pairs an aligner that learns from text also trains on.
    A sentence whose translation came back empty keeps all-O tags (counted, logged).
    """
    run = _Run.of(locals())
    tgt_words = [list(s.words) for s in target]
    data_key = fingerprint(tgt_words)
    check, translation_key = run.translate(
        tgt_words, data_key, reverse=True, consequence="those target sentences keep O tags"
    )
    translations = check.translations
    labels = run.label(
        "label", "labeler", translation_key, lambda: _label_nonempty(labeler, translations)
    )
    src_entities = [entities(lab.tags) for lab in labels]
    transfer = _Transfer(
        translations, src_entities, tgt_words, run.keys["label"], translation_key, data_key
    )
    projections = run.align_and_project(transfer)
    sentences = [
        TaggedSentence(list(words), _tagged(words, proj, i))
        for i, (words, proj) in enumerate(zip(tgt_words, projections, strict=True))
    ]
    return run.result(
        sentences,
        src_entities,
        projections,
        check,
        kept=list(range(len(sentences))),
        source=[
            TaggedSentence(list(w), list(lab.tags))
            for w, lab in zip(translations, labels, strict=True)
        ],
    )


def translate_train(
    source: Sequence[TaggedSentence],
    *,
    translator: Translator,
    aligner: Aligner,
    projector: Projector,
    cache: StageCache,
    src_lang: str,
    tgt_lang: str,
    stage_configs: Mapping[str, Any],
    labeler: Labeler | None = None,
    keep_incomplete: bool = False,
    backtranslation: BackTranslation | None = None,
    target_labeler: Labeler | None = None,
    nmt_scorer: Any = None,
    max_length_ratio: float | None = MAX_LENGTH_RATIO,
    length_slack: int = LENGTH_SLACK,
    parallel_text: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
) -> PipelineResult:
    """A silver ``tgt_lang`` training set from labelled ``source`` sentences in ``src_lang``.

    The source tags are used as they are unless ``labeler`` relabels the source words. A
    sentence with an entity that could not be projected is dropped unless
    ``keep_incomplete``; ``kept`` lists the source indices of the returned sentences;
    ``parallel_text`` as in :func:`translate_test`. A
    sentence whose translation came back empty is always dropped (counted, logged).
    """
    run = _Run.of(locals())
    src_words = [list(s.words) for s in source]
    words_key = fingerprint(src_words)
    check, translation_key = run.translate(
        src_words,
        words_key,
        reverse=False,
        consequence="those sentences and their entities are dropped",
    )
    translations = check.translations
    if labeler is None:
        tags = [list(s.tags) for s in source]
        run.keys["label"] = fingerprint(source)
    else:
        labels = run.label("label", "labeler", words_key, lambda: labeler.label(src_words))
        tags = [lab.tags for lab in labels]
    src_entities = [entities(t) for t in tags]
    transfer = _Transfer(
        src_words, src_entities, translations, run.keys["label"], translation_key, translation_key
    )
    projections = run.align_and_project(transfer)
    sentences, kept = [], []
    for i, (words, proj) in enumerate(zip(translations, projections, strict=True)):
        if (proj.dropped and not keep_incomplete) or not words:
            continue
        sentences.append(TaggedSentence(list(words), _tagged(words, proj, i)))
        kept.append(i)
    return run.result(
        sentences,
        src_entities,
        projections,
        check,
        kept=kept,
        source=[TaggedSentence(list(w), list(t)) for w, t in zip(src_words, tags, strict=True)],
        n_sentences_dropped=len(source) - len(sentences),
    )
