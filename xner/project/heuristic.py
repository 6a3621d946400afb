"""Word-alignment projection heuristic of García-Ferrero et al. (2022).

For each source entity, the target words aligned to it form contiguous ranges; ranges separated
by at most ``d`` unaligned words are merged; ranges whose word count divided by the entity's is
not above ``thr`` are dropped; the ``k`` longest survivors are kept. Ranges of different entities
never overlap; ``collisions`` decides who wins:

- ``longest``: all kept ranges of all entities, longest first (ties: the earlier entity, then the
  leftmost range), each taken if it overlaps nothing taken before;
- ``reference``: as the reference thesis code (ShkalikovOleh/master-thesis,
  ``HeuriticsProjection``): entities from the shortest to the longest (ties: sentence order),
  each entity's ranges left to right, the first claim on a word wins.

With ``merge_only_i_labels`` (the thesis option of that name) a range that starts at a word
aligned to the entity's first word is never merged into the range before it: it likely starts a
second mention of the entity.

The thesis code's top-k keeps the k *shortest* ranges; the paper and this class keep the
longest. Both agree when ``k`` is null, as in the paper's setting (``projector=heuristic_paper``).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from xner.data.entity import Entity
from xner.options import Range, check_fields
from xner.project.base import Projection, Projector


@dataclass(eq=False, kw_only=True)
class HeuristicProjector(Projector):
    """The heuristic (see the module's docstring); every setting from conf/projector/."""

    d: Annotated[int, Range(0)]
    k: Annotated[int, Range(1)] | None  # None: every range
    thr: float
    merge_only_i_labels: bool
    collisions: Literal["longest", "reference"]

    def __post_init__(self) -> None:
        check_fields(self, "projector")

    def ranges(self, entity: Entity, aligned: dict[int, list[int]]) -> list[tuple[int, int]]:
        """Kept target ranges (start, end) of one entity, left to right."""
        words = sorted({j for i in range(entity.start, entity.end) for j in aligned.get(i, ())})
        if not words:
            return []
        first = set(aligned.get(entity.start, ()))
        spans: list[list[int]] = []
        for j in words:
            if spans and j == spans[-1][1]:
                spans[-1][1] = j + 1
            else:
                spans.append([j, j + 1])
        merged = [spans[0]]
        for span in spans[1:]:
            gap = span[0] - merged[-1][1]
            if gap <= self.d and not (self.merge_only_i_labels and span[0] in first):
                merged[-1][1] = span[1]
            else:
                merged.append(span)
        n = entity.length
        kept = [(a, b) for a, b in merged if (b - a) / n > self.thr]
        if self.k is not None:
            kept = sorted(sorted(kept, key=lambda s: (s[0] - s[1], s[0]))[: self.k])
        return kept

    def project(
        self,
        src_words: Sequence[str],
        src_entities: Sequence[Entity],
        tgt_words: Sequence[str],
        links: Collection[tuple[int, int]],
        inputs: object | None = None,
    ) -> Projection:
        if not src_entities:
            return Projection()
        aligned: dict[int, list[int]] = {}
        for i, j in links:
            aligned.setdefault(i, []).append(j)
        if self.collisions == "longest":
            found = sorted(
                (a - b, e, a, b)
                for e, ent in enumerate(src_entities)
                for a, b in self.ranges(ent, aligned)
            )
            claims = [(e, a, b) for _, e, a, b in found]
        else:
            order = sorted(range(len(src_entities)), key=lambda e: src_entities[e].length)
            claims = [(e, a, b) for e in order for a, b in self.ranges(src_entities[e], aligned)]
        taken: list[Entity] = []
        projected = set()
        for e, a, b in claims:
            if all(b <= t.start or t.end <= a for t in taken):
                taken.append(Entity(a, b, src_entities[e].label))
                projected.add(e)
        taken.sort()
        dropped = [ent for e, ent in enumerate(src_entities) if e not in projected]
        return Projection(entities=taken, dropped=dropped)
