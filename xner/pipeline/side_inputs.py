"""Side inputs: what a projector reads besides the links (the ILP ``ner`` and ``nmt`` scores).

Each is one field of :class:`SideInputs`, built from the ``pipeline.<field>`` node (with a
``_target_``) by the class the field is typed with, and hands every target sentence some
:class:`~xner.project.scores.ScoreInputs` arguments; its config joins the projection's cache
key, and what it computes is cached under its own key.
"""

import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from xner.config import build, group_config
from xner.pipeline.cache import StageCache
from xner.pipeline.stages import Label
from xner.project.scores import ScoreInputs

Words = list[list[str]]
Gathered = tuple[list[dict[str, Any]], str | None]  # per sentence ScoreInputs arguments, key


@dataclass(frozen=True)
class SideInput(ABC):
    """A side input built from its node (``part``) and the node's plain config."""

    part: Any
    config: Mapping[str, Any]

    @abstractmethod
    def gather(self, cache: StageCache, words: Words, words_key: str) -> Gathered:
        """Per target sentence its ScoreInputs arguments, and the cache key of what was
        computed (None: nothing)."""


class TargetLabels(SideInput):
    """Target-side NER probabilities (a Labeler) for the ILP ``ner`` score."""

    def gather(self, cache: StageCache, words: Words, words_key: str) -> Gathered:
        labels, key = Label(self.part, self.config).run(cache, words, words_key)
        return [
            {} if lab.probs is None else {"ner_probs": lab.probs, "label_names": lab.label_names}
            for lab in labels
        ], key


class NMTScores(SideInput):
    """An NMT scorer (:class:`xner.project.scores.NMTScorer`) for the ILP ``nmt`` score."""

    def gather(self, cache: StageCache, words: Words, words_key: str) -> Gathered:
        return [{"nmt": self.part} for _ in words], None


@dataclass(frozen=True)
class SideInputs:
    """The side inputs of one run; a projector that needs a new one: one field here."""

    target_labeler: TargetLabels | None = None
    nmt_scorer: NMTScores | None = None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def build(cls, nodes: Mapping[str, Any]) -> "SideInputs":
        """Each field from its config node (null or absent: not used)."""
        kinds = {f.name: typing.get_args(f.type)[0] for f in fields(cls)}
        return cls(
            **{
                name: kinds[name](build(node), group_config(node))
                for name, node in nodes.items()
                if node is not None
            }
        )

    def gather(
        self, cache: StageCache, words: Words, words_key: str
    ) -> tuple[list[ScoreInputs | None], dict[str, str], dict[str, Any]]:
        """Per target sentence the projector's score inputs (None: none), the cache keys of
        what was computed, and the configs that join the projection's key."""
        args: list[dict[str, Any]] = [{} for _ in words]
        keys, configs = {}, {}
        for name in self.names():
            part: SideInput | None = getattr(self, name)
            if part is None:
                continue
            found, key = part.gather(cache, words, words_key)
            for mine, more in zip(args, found, strict=True):
                mine.update(more)
            if key is not None:
                keys[name] = key
            configs[name] = part.config
        return [ScoreInputs(**a) if a else None for a in args], keys, configs
