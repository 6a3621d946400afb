"""How each stage's output is stored in the stage cache: JSON-able data and numpy arrays."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from xner.data.entity import Entity
from xner.labelers.base import Labelled
from xner.project.base import Projection

Links = set[tuple[int, int]]
Marked = tuple[list[str], list[Entity], list[int]]  # back-translated words, spans, source entity


def encode_labels(labels: Sequence[Labelled]) -> dict[str, Any]:
    has_probs = bool(labels) and all(lab.probs is not None for lab in labels)
    out: dict[str, Any] = {"tags": [lab.tags for lab in labels], "probs": None, "names": None}
    if has_probs:
        out["names"] = [lab.label_names for lab in labels]
        width = len(labels[0].label_names or [])
        out["probs"] = np.concatenate(
            [np.asarray(lab.probs, dtype=np.float32).reshape(-1, width) for lab in labels]
        )
    return out


def decode_labels(data: Mapping[str, Any]) -> list[Labelled]:
    if data["probs"] is None:
        return [Labelled(list(tags)) for tags in data["tags"]]
    bounds = np.cumsum([0, *(len(tags) for tags in data["tags"])])
    return [
        Labelled(list(tags), data["probs"][bounds[i] : bounds[i + 1]], list(names))
        for i, (tags, names) in enumerate(zip(data["tags"], data["names"], strict=True))
    ]


def encode_links(links: Sequence[Links]) -> list[list[list[int]]]:
    return [sorted([int(i), int(j)] for i, j in sent) for sent in links]


def decode_links(data: Sequence[Sequence[Sequence[int]]]) -> list[Links]:
    return [{(int(i), int(j)) for i, j in sent} for sent in data]


def encode_projections(projections: Sequence[Projection]) -> list[dict[str, Any]]:
    return [
        {
            "entities": [list(e) for e in p.entities],
            "dropped": [list(e) for e in p.dropped],
            "status": p.status,
        }
        for p in projections
    ]


def decode_projections(data: Sequence[Mapping[str, Any]]) -> list[Projection]:
    return [
        Projection(
            [Entity(*e) for e in p["entities"]],
            [Entity(*e) for e in p["dropped"]],
            str(p.get("status", "")),
        )
        for p in data
    ]


def encode_marked(marked: Sequence[Marked]) -> list:
    return [[words, [list(e) for e in ents], origin] for words, ents, origin in marked]


def decode_marked(data: Sequence) -> list[Marked]:
    return [(list(w), [Entity(*e) for e in ents], list(origin)) for w, ents, origin in data]


def _same(value: Any) -> Any:
    return value


def _words(data: Sequence[Sequence[str]]) -> list[list[str]]:
    return [list(w) for w in data]


# stage -> (encode, decode)
CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "translate": (_same, _words),
    "translate_marked": (_same, list),
    "label": (encode_labels, decode_labels),
    "backtranslate": (encode_marked, decode_marked),
    "align": (encode_links, decode_links),
    "project": (encode_projections, decode_projections),
}
