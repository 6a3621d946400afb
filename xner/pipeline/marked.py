"""The marker route of the pipeline (``projector=markers``): entities carried through the
translation by markers instead of an alignment (rules in :mod:`xner.project.markers`).

translate-train reads the entities from the markers of the marked translation, whose words
(markers removed) are the silver sentence. translate-test marks the labelled translation,
translates it back into the target language and finds each marked span in the original
sentence by fuzzy matching. Both return one :class:`~xner.project.base.Projection` per
sentence and the marker counts (``projection/markers_*``).
"""

from collections import Counter
from collections.abc import Sequence

from xner.data.entity import Entity
from xner.pipeline.cache import StageCache
from xner.pipeline.stages import TranslateMarked
from xner.project.base import Projection
from xner.project.markers import (
    COUNTS,
    MarkedText,
    MarkerProjector,
    insert_markers,
    locate,
    read_markers,
)


def translate_marked(
    stage: TranslateMarked,
    cache: StageCache,
    words: Sequence[Sequence[str]],
    entities: Sequence[Sequence[Entity]],
    langs: tuple[str, str],
) -> tuple[list[MarkedText], str]:
    """Every sentence marked, translated from ``langs[0]`` into ``langs[1]`` and read back."""
    texts = [insert_markers(w, ents, stage.style) for w, ents in zip(words, entities, strict=True)]
    raw, key = stage.run(cache, texts, langs)
    style = stage.style
    reads = [read_markers(t, len(e), style) for t, e in zip(raw, entities, strict=True)]
    return reads, key


def _dropped(entities: Sequence[Entity], indices: set[int]) -> list[Entity]:
    return [e for k, e in enumerate(entities) if k in indices]


def _tally(reads: Sequence[MarkedText], extra: Counter) -> dict[str, int]:
    total = Counter({name: 0 for name in COUNTS})
    for read in reads:
        total.update(read.counts)
    total["broken_sentences"] = sum(bool(read.broken) for read in reads)
    total.update(extra)
    return dict(total)


def project_train(
    projector: MarkerProjector,
    reads: Sequence[MarkedText],
    entities: Sequence[Sequence[Entity]],
    limits: Sequence[int],
) -> tuple[list[Projection], dict[str, int]]:
    """The entities of each marked translation (cut at ``limits`` words: the length guard)."""
    out = []
    for read, ents, limit in zip(reads, entities, limits, strict=True):
        kept, lost = projector.entities(read, [e.label for e in ents])
        cut = {k for k, (_, end) in read.spans.items() if end > limit}
        inside = [e for e in kept if e.end <= limit]
        out.append(Projection(inside, _dropped(ents, lost | cut)))
    return out, _tally(reads, Counter())


def project_test(
    projector: MarkerProjector,
    reads: Sequence[MarkedText],
    entities: Sequence[Sequence[Entity]],
    targets: Sequence[Sequence[str]],
) -> tuple[list[Projection], dict[str, int]]:
    """Each marked span of the back-translation found in the original target sentence."""
    out, unmatched = [], Counter()
    for read, ents, target in zip(reads, entities, targets, strict=True):
        labels = [e.label for e in ents]
        _, lost = projector.entities(read, labels)
        phrases = {k: read.words[s:e] for k, (s, e) in read.spans.items() if k not in lost}
        placed = locate(phrases, target, projector.threshold)
        unmatched["unmatched"] += len(phrases) - len(placed)
        found = sorted(Entity(s, e, labels[k]) for k, (s, e) in placed.items())
        out.append(Projection(found, _dropped(ents, set(range(len(ents))) - set(placed))))
    return out, _tally(reads, unmatched)
