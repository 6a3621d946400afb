"""Error analysis: each gold entity's fate, and predictions that match nothing.

Every gold entity gets one class, checked in this order: ``correct`` (same span and type),
``type`` (same span, other type), ``boundary`` (an overlapping prediction of the same type),
``boundary+type`` (an overlapping prediction of another type) or ``missed`` (no overlapping
prediction). A prediction that overlaps no gold entity is ``spurious`` (counted under its own
type). Entities are read by the scoring mode's rule, as in :mod:`xner.evaluation.metrics`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from xner.data.conll import TaggedSentence
from xner.data.tags import filter_labels
from xner.evaluation.metrics import DEFAULT_MODE, Span, span_reader

CLASSES = ("correct", "missed", "spurious", "boundary", "type", "boundary+type")


@dataclass
class ErrorTable:
    """Counts per (entity type, class) and up to ``max_examples`` sentence indices per class."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, list[tuple[int, Span | None, Span | None]]] = field(default_factory=dict)
    max_examples: int = 3

    def add(self, label: str, kind: str, sentence: int, gold: Span | None, pred: Span | None):
        row = self.counts.setdefault(label, dict.fromkeys(CLASSES, 0))
        row[kind] += 1
        found = self.examples.setdefault(kind, [])
        if len(found) < self.max_examples:
            found.append((sentence, gold, pred))

    def totals(self) -> dict[str, int]:
        return {kind: sum(row[kind] for row in self.counts.values()) for kind in CLASSES}


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def classify(gold: set[Span], pred: set[Span]) -> list[tuple[str, str, Span | None, Span | None]]:
    """(type, class, gold entity, prediction) for one sentence."""
    out: list[tuple[str, str, Span | None, Span | None]] = []
    for g in sorted(gold):
        overlapping = sorted(p for p in pred if _overlaps(g, p))
        same_span = [p for p in overlapping if p[:2] == g[:2]]
        same_type = [p for p in overlapping if p[2] == g[2]]
        if g in pred:
            out.append((g[2], "correct", g, g))
        elif same_span:
            out.append((g[2], "type", g, same_span[0]))
        elif same_type:
            out.append((g[2], "boundary", g, same_type[0]))
        elif overlapping:
            out.append((g[2], "boundary+type", g, overlapping[0]))
        else:
            out.append((g[2], "missed", g, None))
    for p in sorted(pred):
        if not any(_overlaps(p, g) for g in gold):
            out.append((p[2], "spurious", None, p))
    return out


def error_table(
    pred: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    ignore: Iterable[str] = (),
    mode: str = DEFAULT_MODE,
    max_examples: int = 3,
) -> ErrorTable:
    drop, read = set(ignore), span_reader(mode)
    table = ErrorTable(max_examples=max_examples)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        found, truth = read(filter_labels(p, drop)), read(filter_labels(g, drop))
        for label, kind, gold_span, pred_span in classify(truth, found):
            table.add(label, kind, i, gold_span, pred_span)
    return table


def _show(words: Sequence[str], span: Span | None) -> str:
    if span is None:
        return "—"
    return f"[{' '.join(words[span[0] : span[1]])}]{span[2]} @{span[0]}-{span[1]}"


def format_errors(table: ErrorTable, sentences: Sequence[TaggedSentence] = ()) -> str:
    """The per-type table, then a few example sentences of each error class."""
    width = max([len(c) for c in CLASSES]) + 2
    header = f"{'type':<10}" + "".join(f"{c:>{width}}" for c in CLASSES)
    lines = [header]
    for label in sorted(table.counts):
        row = table.counts[label]
        lines.append(f"{label:<10}" + "".join(f"{row[c]:>{width}d}" for c in CLASSES))
    totals = table.totals()
    lines.append(f"{'all':<10}" + "".join(f"{totals[c]:>{width}d}" for c in CLASSES))
    if sentences and any(table.examples.get(kind) for kind in CLASSES[1:]):
        lines += ["", "examples:"]
    for kind in CLASSES[1:] if sentences else ():
        for i, gold, pred in table.examples.get(kind, []):
            words = sentences[i].words
            lines.append(
                f"{kind:<14} sentence {i}: gold {_show(words, gold)}  pred {_show(words, pred)}"
                f"  | {' '.join(words)}"
            )
    return "\n".join(lines) + "\n"


def as_dict(table: ErrorTable) -> dict:
    return {
        "per_type": table.counts,
        "total": table.totals(),
        "examples": {
            kind: [{"sentence": i, "gold": g, "pred": p} for i, g, p in found]
            for kind, found in table.examples.items()
        },
    }
