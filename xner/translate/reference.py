"""Translations a corpus holds: its parallel side (a human reference translation) or, for the
synthetic corpus, its seeded machine translation.

Sentence i of a split in one language is parallel to sentence i of the same split in the
other language (Europarl-NER, the synthetic corpus). Each input sentence is looked up by
its exact word tuple; a sentence that is not in the corpus is a DataError.
"""

from collections.abc import Iterator, Sequence

from xner.errors import ConfigError, DataError
from xner.translate.base import Translator


class CorpusTranslator(Translator):
    """Looks sentence i of one side up and returns sentence i of the other (``_targets``)."""

    what = "reference translation"

    def __init__(self, *, source: object, splits: Sequence[str]) -> None:
        self.source = source
        self.splits = list(splits)
        self._tables: dict[tuple[str, str], dict[tuple[str, ...], list[str]]] = {}

    def _targets(self, src_lang: str, tgt_lang: str, split: str) -> list[list[str]]:
        """The translation of each ``src_lang`` sentence of ``split``: the other side's words."""
        return [list(s.words) for s in self.source.split(tgt_lang, split)]

    def _parallel_splits(self, src_lang: str, tgt_lang: str) -> Iterator[tuple[str, list, list]]:
        """(split, source sentences, their translations) of every split both languages have."""
        name = getattr(self.source, "name", type(self.source).__name__)
        has = getattr(self.source, "has_split", None)
        for split in self.splits:
            if has is not None and not (has(src_lang, split) and has(tgt_lang, split)):
                continue
            src = [list(s.words) for s in self.source.split(src_lang, split)]
            tgt = self._targets(src_lang, tgt_lang, split)
            if len(src) != len(tgt):
                raise DataError(
                    f"{name} {split}: {len(src)} {src_lang} sentences but {len(tgt)} "
                    f"{tgt_lang} sentences; a reference translation needs a parallel corpus"
                )
            yield split, src, tgt

    def _table(self, src_lang: str, tgt_lang: str) -> dict[tuple[str, ...], list[str]]:
        if (src_lang, tgt_lang) in self._tables:
            return self._tables[src_lang, tgt_lang]
        table: dict[tuple[str, ...], list[str]] = {}
        for _, src, tgt in self._parallel_splits(src_lang, tgt_lang):
            for s, t in zip(src, tgt, strict=True):
                table.setdefault(tuple(s), list(t))
        self._tables[src_lang, tgt_lang] = table
        return table

    def check(self, src_lang: str, tgt_lang: str) -> None:
        """A language the corpus does not have is a ConfigError from the dataset source."""
        has = getattr(self.source, "has_split", None)
        if has is not None:
            for split in self.splits:
                has(src_lang, split)
                has(tgt_lang, split)

    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]:
        table = self._table(src_lang, tgt_lang)
        out = []
        for i, sent in enumerate(sentences):
            found = table.get(tuple(sent))
            if found is None:
                raise DataError(
                    f"sentence {i} ({' '.join(sent)[:80]!r}) has no {tgt_lang} {self.what} "
                    f"in {getattr(self.source, 'name', 'the corpus')} "
                    f"(splits {', '.join(self.splits)})"
                )
            out.append(list(found))
        return out


class ReferenceTranslator(CorpusTranslator):
    """The human translation; a statistical aligner may learn from the whole parallel corpus."""

    def parallel_text(self, src_lang: str, tgt_lang: str) -> list[tuple[list[str], list[str]]]:
        """Every (src_lang, tgt_lang) sentence pair of the corpus, all splits, in order:
        the text a statistical aligner learns from whichever split is projected."""
        return [
            (s, t)
            for _, src, tgt in self._parallel_splits(src_lang, tgt_lang)
            for s, t in zip(src, tgt, strict=True)
        ]


class SyntheticMTTranslator(CorpusTranslator):
    """The synthetic corpus's machine translation (:mod:`xner.data.synthetic`): partly literal,
    partly fluent. It offers no parallel text, so an aligner learns from the pairs it aligns,
    as with a real MT system."""

    what = "machine translation"

    def _machine(self):
        machine = getattr(self.source, "machine_translation", None)
        if machine is None:
            name = getattr(self.source, "name", type(self.source).__name__)
            raise ConfigError(f"translator=synthetic_mt needs data=synthetic, not {name}")
        return machine

    def _targets(self, src_lang: str, tgt_lang: str, split: str) -> list[list[str]]:
        return [list(words) for words in self._machine()(src_lang, tgt_lang, split)]

    def check(self, src_lang: str, tgt_lang: str) -> None:
        super().check(src_lang, tgt_lang)
        self._machine()
