"""The aligned hull: each source entity becomes the target span from its leftmost to its
rightmost aligned word (docs/how-to/add-projector.md)."""

from collections.abc import Collection, Sequence

from xner.data.entity import Entity
from xner.errors import ConfigError
from xner.project.base import Projection, Projector


class HullProjector(Projector):
    """The span between the first and last target word linked to the entity; a hull longer than
    ``max_len`` words, or one that overlaps a span already taken, drops the entity."""

    def __init__(self, *, max_len: int) -> None:
        if max_len < 1:
            raise ConfigError(f"projector.max_len must be >= 1, got {max_len}")
        self.max_len = max_len

    def project(
        self,
        src_words: Sequence[str],
        src_entities: Sequence[Entity],
        tgt_words: Sequence[str],
        links: Collection[tuple[int, int]],
        inputs: object | None = None,
    ) -> Projection:
        taken: set[int] = set()
        result = Projection()
        for entity in src_entities:
            words = sorted(j for i, j in links if entity.start <= i < entity.end)
            span = range(words[0], words[-1] + 1) if words else range(0)
            if not span or len(span) > self.max_len or taken & set(span):
                result.dropped.append(entity)
                continue
            taken |= set(span)
            result.entities.append(Entity(span.start, span.stop, entity.label))
        return result
