"""Marker-based back-translation (EasyProject style): the labelled source sentence is translated
into the target language with its entities wrapped in ``[ ... ]`` markers; each marked span takes
the label of the source entity whose own translation matches it best (rapidfuzz ratio >=
``threshold``, each entity used once, unmatched markers dropped)."""

from collections.abc import Sequence
from dataclasses import dataclass

from xner.data.entity import Entity
from xner.pipeline.codecs import Marked
from xner.translate.base import Translator

OPEN, CLOSE = "[", "]"


@dataclass
class BackTranslation:
    """Marker-based back-translation into the target language (EasyProject style)."""

    translator: Translator
    threshold: float = 0.5
    open_marker: str = OPEN
    close_marker: str = CLOSE


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
) -> list[Marked]:
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
