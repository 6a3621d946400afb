"""Word-alignment projection heuristic of García-Ferrero et al. (2022).

For each source entity, the target words aligned to it form contiguous ranges; ranges separated
by at most ``d`` unaligned words are merged; the ``k`` longest ranges are kept; a range survives
only if its word count divided by the entity's is above ``thr``. Ranges of different entities
never overlap: when two collide the longer (then the earlier-found) one wins.
"""

from collections.abc import Collection, Sequence

from xner.data.entity import Entity
from xner.errors import ConfigError
from xner.project.base import Projection, Projector


class HeuristicProjector(Projector):
    def __init__(
        self,
        d: int = 1,
        k: int | None = 1,
        thr: float = 0.8,
        merge_requires_first_word: bool = False,
    ) -> None:
        if d < 0:
            raise ConfigError(f"projector.d must be >= 0, got {d}")
        if k is not None and k < 1:
            raise ConfigError(f"projector.k must be >= 1 or null (unlimited), got {k}")
        self.d = d
        self.k = k
        self.thr = thr
        self.merge_requires_first_word = merge_requires_first_word

    def ranges(self, entity: Entity, aligned: dict[int, list[int]]) -> list[tuple[int, int]]:
        """Kept target ranges (start, end) of one entity given target words per source word."""
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
            if gap <= self.d and (not self.merge_requires_first_word or span[0] in first):
                merged[-1][1] = span[1]
            else:
                merged.append(span)
        by_length = sorted(merged, key=lambda s: (s[0] - s[1], s[0]))
        if self.k is not None:
            by_length = by_length[: self.k]
        n = entity.length
        return [(a, b) for a, b in by_length if (b - a) / n > self.thr]

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
        found = []
        for e, ent in enumerate(src_entities):
            for a, b in self.ranges(ent, aligned):
                found.append((a - b, e, a, b))
        found.sort()
        taken: list[Entity] = []
        projected = set()
        for _, e, a, b in found:
            if all(b <= t.start or t.end <= a for t in taken):
                taken.append(Entity(a, b, src_entities[e].label))
                projected.add(e)
        taken.sort()
        dropped = [ent for e, ent in enumerate(src_entities) if e not in projected]
        return Projection(entities=taken, dropped=dropped)
