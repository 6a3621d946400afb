"""The projector interface: a pure function from one aligned sentence pair to target entities."""

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from xner.data.entity import Entity
from xner.data.tags import tags_from_entities

UNMET = ("infeasible", "relaxed")


@dataclass
class Projection:
    """Target entities found for a sentence pair, and the source entities that found none.

    ``status``: how the projector fared ("" when it has nothing to say); ``infeasible`` and
    ``relaxed`` mean its constraints could not be met (counted and logged by the pipeline).
    """

    entities: list[Entity] = field(default_factory=list)
    dropped: list[Entity] = field(default_factory=list)
    status: str = ""

    @property
    def unmet(self) -> bool:
        return self.status in UNMET

    def tags(self, n_words: int) -> list[str]:
        return tags_from_entities(n_words, self.entities)


class Projector(ABC):
    @abstractmethod
    def project(
        self,
        src_words: Sequence[str],
        src_entities: Sequence[Entity],
        tgt_words: Sequence[str],
        links: Collection[tuple[int, int]],
        inputs: "object | None" = None,
    ) -> Projection:
        """Project ``src_entities`` onto ``tgt_words``; no two returned spans overlap."""
