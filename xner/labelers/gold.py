"""Gold labels looked up by exact word tuple in a labelled dataset (isolates projection)."""

import logging
from collections.abc import Iterable, Sequence

from xner.data.conll import TaggedSentence
from xner.data.tags import filter_labels
from xner.errors import DataError
from xner.labelers.base import Labeler, Labelled

log = logging.getLogger(__name__)


class GoldLabeler(Labeler):
    """Built from a dataset source (``source.split(lang, split)``) or from ``sentences``.

    When one word tuple occurs with different tags, the first occurrence wins (logged).
    """

    needs_model = False

    def __init__(
        self,
        *,
        source: object | None,
        lang: str,
        splits: Sequence[str],
        drop_labels: Sequence[str],
        sentences: Iterable[TaggedSentence] | None = None,
    ) -> None:
        if source is None and sentences is None:
            raise DataError("gold labeller needs a dataset source or labelled sentences")
        self.source = source
        self.lang = lang
        self.splits = list(splits)
        self.drop_labels = list(drop_labels)
        self._given = list(sentences) if sentences is not None else None
        self._table: dict[tuple[str, ...], list[str]] | None = None

    def _sentences(self) -> list[TaggedSentence]:
        if self._given is not None:
            return self._given
        out: list[TaggedSentence] = []
        has = getattr(self.source, "has_split", None)
        for split in self.splits:
            if has is None or has(self.lang, split):
                out.extend(self.source.split(self.lang, split))
        return out

    def table(self) -> dict[tuple[str, ...], list[str]]:
        if self._table is None:
            table: dict[tuple[str, ...], list[str]] = {}
            conflicts = 0
            for sent in self._sentences():
                tags = filter_labels(sent.tags, self.drop_labels)
                old = table.setdefault(tuple(sent.words), tags)
                conflicts += old is not tags and old != tags
            if conflicts:
                log.warning(
                    "gold labeller: %d repeated sentences with different tags "
                    "(first occurrence used)",
                    conflicts,
                )
            self._table = table
        return self._table

    def label(self, sentences: Sequence[Sequence[str]]) -> list[Labelled]:
        table = self.table()
        out = []
        for i, words in enumerate(sentences):
            tags = table.get(tuple(words))
            if tags is None:
                raise DataError(
                    f"sentence {i} ({' '.join(words)[:80]!r}) is not in the gold {self.lang} "
                    f"data ({', '.join(self.splits)}); the gold labeller needs the exact sentence "
                    "(use translator=reference, or labeler=model)"
                )
            out.append(Labelled(list(tags)))
        return out
