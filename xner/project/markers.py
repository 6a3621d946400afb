"""Marker-based projection (EasyProject, Chen et al. 2023): no aligner, the translator carries
the entities.

Each source entity is wrapped in markers, the marked sentence is translated, and the entities
are read back from where the markers came out. Two marker styles:

- ``brackets`` (EasyProject's): ``[ European Commission ]``. Markers have no id, so the spans
  read back take the source entities' labels in source order, and only when the number of
  well-formed spans equals the number of source entities; otherwise every entity of that
  sentence counts as lost (a reordering would give the wrong types).
- ``html`` (translators that keep inline markup, Apertium ``-f html``):
  ``<span id="e3"> European Commission </span>``. Every entity has its own id, so reordering
  keeps each label.

Rules for what comes back (each counted, never guessed silently):

- **split**: one id in several pieces (``<span id="e0">Salud y Comité</span> de <span
  id="e0">Seguridad</span>``). The pieces merge into their hull (first piece's start to last
  piece's end) when that hull contains no piece of another entity, else the longest piece
  is kept (the first of equally long ones).
- **nested**: a marker opened while another is open. Both entities are broken.
- **unbalanced**: a close with nothing open (ignored), or an open never closed (its entity
  is broken).
- **lost**: an entity with no non-empty piece, or broken. With ``on_broken=sentence`` one
  broken entity drops every entity of its sentence.

translate-test reads the marked spans from a back-translation into the target language and
finds each span in the *original* target sentence by fuzzy string matching
(:func:`locate`): the word n-gram whose text is most similar (rapidfuzz ratio of the
case-folded strings, in [0, 1]) and at least ``threshold``; entities are placed best match
first, never overlapping; an entity with no match is dropped and counted as unmatched.
"""

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal, get_args

from xner.data.entity import Entity
from xner.data.wordtok import word_tokenize
from xner.errors import ConfigError
from xner.options import Range, check_fields

Style = Literal["brackets", "html"]
STYLES = get_args(Style)
COUNTS = ("lost", "split", "nested", "unbalanced", "unmatched", "broken_sentences")

_HTML_EVENT = re.compile(r'<span id="e(\d+)">|</span>|<[^>]*>')
_BRACKET_EVENT = re.compile(r"\[|\]")


def insert_markers(words: Sequence[str], spans: Sequence[Entity], style: str) -> str:
    """The sentence as one string with every entity wrapped in markers (spaces around them)."""
    opening = {e.start: k for k, e in enumerate(spans)}
    closing = {e.end for e in spans}
    out: list[str] = []
    for i in range(len(words) + 1):
        if i in closing:
            out.append("]" if style == "brackets" else "</span>")
        if i in opening:
            out.append("[" if style == "brackets" else f'<span id="e{opening[i]}">')
        if i < len(words):
            out.append(html.escape(words[i], quote=False) if style == "html" else words[i])
    return " ".join(out)


@dataclass
class MarkedText:
    """A translated marked sentence read back: its words, each entity's final span (entity
    index -> (start, end)) and what went wrong."""

    words: list[str]
    spans: dict[int, tuple[int, int]]
    broken: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def _events(text: str, style: str) -> list[tuple[str, object]]:
    """("text", str) / ("open", id or None) / ("close", None) in order; other tags dropped."""
    pattern = _HTML_EVENT if style == "html" else _BRACKET_EVENT
    events: list[tuple[str, object]] = []
    pos = 0
    for match in pattern.finditer(text):
        events.append(("text", text[pos : match.start()]))
        token = match.group(0)
        if token in ("[", "]", "</span>"):
            events.append(("open", None) if token == "[" else ("close", None))
        elif match.group(1) is not None:
            events.append(("open", int(match.group(1))))
        pos = match.end()
    events.append(("text", text[pos:]))
    return events


def _pieces(
    text: str, style: str
) -> tuple[list[str], list[tuple[object, int, int]], set[object], dict[str, int]]:
    """Words, the closed (id, start, end) pieces, the ids broken by nesting or an open end,
    and the nested / unbalanced counts."""
    words: list[str] = []
    pieces: list[tuple[object, int, int]] = []
    broken: set[object] = set()
    counts = {"nested": 0, "unbalanced": 0}
    current: tuple[object, int] | None = None
    ordinal = 0
    for kind, value in _events(text, style):
        if kind == "text":
            segment = html.unescape(value) if style == "html" else value
            words.extend(word_tokenize(segment))
        elif kind == "open":
            ident = ordinal if value is None else value
            ordinal += 1
            if current is not None:
                counts["nested"] += 1
                broken.update({current[0], ident})
            current = (ident, len(words))
        elif current is None:
            counts["unbalanced"] += 1
        else:
            pieces.append((current[0], current[1], len(words)))
            current = None
    if current is not None:
        counts["unbalanced"] += 1
        broken.add(current[0])
    return words, [p for p in pieces if p[2] > p[1] and p[0] not in broken], broken, counts


def _merge(pieces: Sequence[tuple[int, int]], others: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """One entity's pieces: their hull if no other entity's piece lies in it, else the longest."""
    hull = (min(s for s, _ in pieces), max(e for _, e in pieces))
    if not any(s < hull[1] and hull[0] < e for s, e in others):
        return hull
    return max(pieces, key=lambda p: (p[1] - p[0], -p[0]))


def read_markers(text: str, n_entities: int, style: str) -> MarkedText:
    """Read a translated marked sentence back (rules in the module docstring)."""
    words, pieces, broken, counts = _pieces(text, style)
    if style == "brackets":  # ordinal ids: meaningful only if every entity came back once
        if len(pieces) != n_entities or broken:
            broken = set(range(n_entities))
            pieces = []
    by_id: dict[int, list[tuple[int, int]]] = {}
    for ident, start, end in pieces:
        if isinstance(ident, int) and 0 <= ident < n_entities:
            by_id.setdefault(ident, []).append((start, end))
    spans: dict[int, tuple[int, int]] = {}
    for ident, own in by_id.items():
        others = [(s, e) for other, s, e in pieces if other != ident]
        spans[ident] = _merge(own, others)
    counts["split"] = sum(len(own) > 1 for own in by_id.values())
    lost = {k for k in range(n_entities) if k not in spans} | {
        k for k in broken if isinstance(k, int) and k < n_entities
    }
    counts["lost"] = len(lost)
    return MarkedText(words, {k: v for k, v in spans.items() if k not in lost}, lost, counts)


def _similarity(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.ratio(a.casefold(), b.casefold()) / 100.0


def candidates(
    phrase: Sequence[str], sentence: Sequence[str], threshold: float, slack: int = 2
) -> list[tuple[float, int, int]]:
    """(similarity, start, end) of every n-gram of ``sentence`` at most ``slack`` words longer
    than ``phrase`` whose similarity to it is at least ``threshold``."""
    text = " ".join(phrase)
    longest = min(len(sentence), len(phrase) + slack)
    found = []
    for start in range(len(sentence)):
        for end in range(start + 1, min(len(sentence), start + longest) + 1):
            score = _similarity(text, " ".join(sentence[start:end]))
            if score >= threshold:
                found.append((score, start, end))
    return found


def locate(
    phrases: Mapping[int, Sequence[str]], sentence: Sequence[str], threshold: float
) -> dict[int, tuple[int, int]]:
    """Entity index -> span of ``sentence``: best match first, no two spans overlapping.

    Ties go to the span whose length is closest to the phrase's, then the earlier span,
    then the earlier entity.
    """
    scored = []
    for k, phrase in phrases.items():
        for score, start, end in candidates(phrase, sentence, threshold):
            scored.append((-score, abs((end - start) - len(phrase)), start, k, end))
    placed: dict[int, tuple[int, int]] = {}
    for _, _, start, k, end in sorted(scored):
        if k in placed or any(s < end and start < e for s, e in placed.values()):
            continue
        placed[k] = (start, end)
    return placed


@dataclass(frozen=True)
class MarkerProjector:
    """``projector=markers``: the settings of marker-based projection (no aligner).

    ``style``: ``auto`` takes the translator's preferred style (brackets for every shipped
    translator; Apertium also carries html).
    """

    style: Literal["auto", Style]
    on_broken: Literal["entity", "sentence"]
    threshold: Annotated[float, Range(0, 1, open_low=True)]

    def __post_init__(self) -> None:
        check_fields(self, "projector")

    def style_for(self, translator: object) -> str:
        """The marker style for ``translator``; one it cannot carry is a ConfigError."""
        carried = tuple(getattr(translator, "markup", ()))
        name = type(translator).__name__
        if not carried:
            raise ConfigError(
                f"projector=markers needs a translator that carries markers through translation; "
                f"{name} cannot (a reference translation is looked up, not translated): use "
                f"translator=apertium, hf or lexicon"
            )
        style = carried[0] if self.style == "auto" else self.style
        if style not in carried:
            raise ConfigError(
                f"projector.style={style}: {name} carries {', '.join(carried)} markers only"
            )
        return style

    def entities(self, read: MarkedText, labels: Sequence[str]) -> tuple[list[Entity], set[int]]:
        """The entities a read-back sentence keeps (``labels``: the source entities' labels)
        and the source entity indices it drops (``on_broken=sentence``: all, if any broke)."""
        if read.broken and self.on_broken == "sentence":
            return [], set(range(len(labels)))
        kept = sorted((s, e, labels[k]) for k, (s, e) in read.spans.items())
        return [Entity(*t) for t in kept], set(range(len(labels))) - set(read.spans)
