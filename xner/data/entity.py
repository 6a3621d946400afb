"""An entity is a labelled word span: start inclusive, end exclusive."""

from typing import NamedTuple


class Entity(NamedTuple):
    start: int
    end: int
    label: str

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: "Entity") -> bool:
        return self.start < other.end and other.start < self.end
