"""A zero-shot baseline with no model: the source training entities as a gazetteer, matched in
the target test sentences (docs/how-to/add-method.md)."""

from xner.data.entity import Entity
from xner.data.tags import entities, tags_from_entities
from xner.method_kind import BASELINE, NEVER, MethodKind
from xner.methods.base import Method
from xner.methods.context import RunContext
from xner.methods.results import report


class Gazetteer(Method):
    """Tags every target word sequence that spells a source training entity (longest first)."""

    kind = MethodKind("gazetteer", BASELINE, order=15, model=NEVER)

    def __init__(self, *, max_len: int, select_on: str) -> None:
        super().__init__(select_on)
        self.max_len = max_len

    def run(self, ctx: RunContext) -> dict[str, float]:
        names: dict[tuple[str, ...], str] = {}
        for sentence in ctx.source_split("train"):
            for e in entities(sentence.tags):
                if e.end - e.start <= self.max_len:
                    names.setdefault(tuple(sentence.words[e.start : e.end]), e.label)
        test = ctx.target_split("test")
        return report(ctx, [self.tag(s.words, names) for s in test], test)

    def tag(self, words: list[str], names: dict[tuple[str, ...], str]) -> list[str]:
        found, i = [], 0
        while i < len(words):
            for n in range(min(self.max_len, len(words) - i), 0, -1):
                label = names.get(tuple(words[i : i + n]))
                if label:
                    found.append(Entity(i, i + n, label))
                    i += n
                    break
            else:
                i += 1
        return tags_from_entities(len(words), found)
