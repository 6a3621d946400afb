"""Translations taken from the parallel side of a corpus (a human reference translation).

Sentence i of a split in one language is parallel to sentence i of the same split in the
other language (Europarl-NER, the synthetic corpus). Each input sentence is looked up by
its exact word tuple; a sentence that is not in the corpus is a DataError.
"""

from collections.abc import Iterator, Sequence

from xner.errors import DataError
from xner.translate.base import Translator


class ReferenceTranslator(Translator):
    def __init__(self, *, source: object, splits: Sequence[str]) -> None:
        self.source = source
        self.splits = list(splits)
        self._tables: dict[tuple[str, str], dict[tuple[str, ...], list[str]]] = {}

    def _parallel_splits(self, src_lang: str, tgt_lang: str) -> Iterator[tuple[str, list, list]]:
        """(split, source sentences, target sentences) of every split both languages have."""
        name = getattr(self.source, "name", type(self.source).__name__)
        has = getattr(self.source, "has_split", None)
        for split in self.splits:
            if has is not None and not (has(src_lang, split) and has(tgt_lang, split)):
                continue
            src = self.source.split(src_lang, split)
            tgt = self.source.split(tgt_lang, split)
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
                table.setdefault(tuple(s.words), list(t.words))
        self._tables[src_lang, tgt_lang] = table
        return table

    def parallel_text(self, src_lang: str, tgt_lang: str) -> list[tuple[list[str], list[str]]]:
        """Every (src_lang, tgt_lang) sentence pair of the corpus, all splits, in order:
        the text a statistical aligner learns from whichever split is projected."""
        return [
            (list(s.words), list(t.words))
            for _, src, tgt in self._parallel_splits(src_lang, tgt_lang)
            for s, t in zip(src, tgt, strict=True)
        ]

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
                    f"sentence {i} ({' '.join(sent)[:80]!r}) has no {tgt_lang} reference "
                    f"translation in {getattr(self.source, 'name', 'the corpus')} "
                    f"(splits {', '.join(self.splits)})"
                )
            out.append(list(found))
        return out
