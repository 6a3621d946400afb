"""IOB2 tags: parsing, scheme conversion, entity extraction and label filtering.

IOB2 is the canonical scheme everywhere in xner: every entity starts with ``B-X``
and continues with ``I-X``. IOB1 and BIOES inputs are converted on reading.
"""

from collections.abc import Iterable, Sequence

from xner.data.entity import Entity
from xner.options import one_of

OUTSIDE = "O"
SCHEMES = ("iob2", "iob1", "bioes")


def split_tag(tag: str) -> tuple[str, str]:
    """Return (prefix, label); ``O`` gives ("O", ""). Raises ValueError on a malformed tag."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, label = tag.partition("-")
    if not sep or not label or prefix not in ("B", "I", "E", "S"):
        raise ValueError(f"malformed tag {tag!r} (expected O or B-/I-/E-/S- plus a label)")
    return prefix, label


def label_of(tag: str) -> str:
    return split_tag(tag)[1]


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """IOB1 uses B- only between adjacent entities of one type; IOB2 starts each with B-."""
    out: list[str] = []
    for i, tag in enumerate(tags):
        prefix, label = split_tag(tag)
        if prefix == "I":
            prev = out[i - 1] if i else OUTSIDE
            if prev == OUTSIDE or split_tag(prev)[1] != label:
                tag = f"B-{label}"
        elif prefix not in ("B", OUTSIDE):
            raise ValueError(f"tag {tag!r} is not IOB1")
        out.append(tag)
    return out


def bioes_to_iob2(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        prefix, label = split_tag(tag)
        if prefix == "S":
            tag = f"B-{label}"
        elif prefix == "E":
            tag = f"I-{label}"
        out.append(tag)
    return out


def iob2_to_bioes(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, tag in enumerate(tags):
        prefix, label = split_tag(tag)
        nxt = tags[i + 1] if i + 1 < len(tags) else OUTSIDE
        continues = nxt == f"I-{label}"
        if prefix == "B":
            tag = f"B-{label}" if continues else f"S-{label}"
        elif prefix == "I":
            tag = f"I-{label}" if continues else f"E-{label}"
        out.append(tag)
    return out


PREFIXES = {"iob2": ("B", "I"), "iob1": ("B", "I"), "bioes": ("B", "I", "E", "S")}


def to_iob2(tags: Sequence[str], scheme: str) -> list[str]:
    one_of("scheme", scheme, SCHEMES, error=ValueError)
    if scheme == "iob2":
        for tag in tags:
            if split_tag(tag)[0] not in ("B", "I", OUTSIDE):
                raise ValueError(f"tag {tag!r} is not IOB2")
        return list(tags)
    if scheme == "iob1":
        return iob1_to_iob2(tags)
    return bioes_to_iob2(tags)


def orphan_inside(tags: Sequence[str]) -> int | None:
    """Index of the first ``I-X`` that does not continue a ``B-X``/``I-X``, or None."""
    prev = OUTSIDE
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and (prev == OUTSIDE or prev[2:] != tag[2:]):
            return i
        prev = tag
    return None


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Turn every orphan ``I-X`` into ``B-X``."""
    out: list[str] = []
    for tag in tags:
        prev = out[-1] if out else OUTSIDE
        if tag.startswith("I-") and (prev == OUTSIDE or prev[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out


def entities(tags: Sequence[str]) -> list[Entity]:
    """Entity spans of IOB2 tags; an orphan ``I-X`` opens a new entity."""
    spans: list[Entity] = []
    start, label = -1, ""
    for i, tag in enumerate([*tags, OUTSIDE]):
        continues = tag.startswith("I-") and label == tag[2:] and start >= 0
        if continues:
            continue
        if start >= 0:
            spans.append(Entity(start, i, label))
            start, label = -1, ""
        if tag != OUTSIDE:
            start, label = i, tag[2:]
    return spans


def tags_from_entities(length: int, spans: Iterable[Entity]) -> list[str]:
    """IOB2 tags for a sentence of ``length`` words; overlapping spans are an error."""
    tags = [OUTSIDE] * length
    for span in sorted(spans):
        if not 0 <= span.start < span.end <= length:
            raise ValueError(f"entity {span} lies outside a sentence of {length} words")
        if any(t != OUTSIDE for t in tags[span.start : span.end]):
            raise ValueError(f"entity {span} overlaps another entity")
        tags[span.start] = f"B-{span.label}"
        for j in range(span.start + 1, span.end):
            tags[j] = f"I-{span.label}"
    return tags


def filter_labels(tags: Sequence[str], drop: Iterable[str]) -> list[str]:
    """Map the tags of every label in ``drop`` to O (e.g. MISC, DATE)."""
    dropped = set(drop)
    if not dropped:
        return list(tags)
    return [OUTSIDE if tag != OUTSIDE and tag[2:] in dropped else tag for tag in tags]


def label_set(tag_lists: Iterable[Sequence[str]]) -> list[str]:
    """Sorted entity labels that occur in the given tag sequences."""
    return sorted({tag[2:] for tags in tag_lists for tag in tags if tag != OUTSIDE})


def iob2_tag_names(labels: Iterable[str]) -> list[str]:
    """The classifier's label list: O first, then B-/I- per label in sorted order."""
    names = [OUTSIDE]
    for label in sorted(set(labels)):
        names += [f"B-{label}", f"I-{label}"]
    return names
