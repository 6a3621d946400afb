"""Word-by-word translation from a bilingual dictionary ("cheap translation").

The dictionary is a UTF-8 TSV file, one ``word<TAB>translation`` pair per line, the first
column in ``langs[0]``, the second in ``langs[1]``; a translation may hold several words
(separated by spaces). Lines that are empty or start with ``#`` are skipped.

Both directions work. Forward, the first line that lists a word wins. Backward, the
dictionary is inverted and, when several words share one translation, the first line in
file order wins (so a file sorted by frequency prefers the most frequent word). Unknown
words are copied unchanged (names usually are). With ``lowercase`` the lookup ignores case
and a capitalised input word gets a capitalised translation.
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from xner.errors import ConfigError, DataError
from xner.translate.base import Translator

log = logging.getLogger(__name__)


def read_lexicon(path: Path) -> list[tuple[str, list[str]]]:
    """(word, translation words) pairs in file order."""
    if not path.is_file():
        raise ConfigError(f"{path}: lexicon file not found (translator.path)")
    pairs = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 2 or not cells[0].strip() or not cells[1].strip():
            raise DataError(f"{path}:{lineno}: expected 'word<TAB>translation', got {line!r}")
        pairs.append((cells[0].strip(), cells[1].split()))
    if not pairs:
        raise DataError(f"{path}: empty lexicon")
    return pairs


def _first_wins(pairs: Sequence[tuple[str, list[str]]], lowercase: bool) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for word, translation in pairs:
        table.setdefault(word.lower() if lowercase else word, translation)
    return table


class LexiconTranslator(Translator):
    markup = ("brackets", "html")  # markers are words it does not know: copied in place

    def __init__(
        self,
        *,
        path: str | os.PathLike | None,
        langs: Sequence[str],
        lowercase: bool,
        source: object | None,
    ) -> None:
        """``source``: a dataset source with ``lexicon_path()`` (the synthetic corpus), used
        when ``path`` is not given."""
        if path is None:
            if source is None or not hasattr(source, "lexicon_path"):
                raise ConfigError("lexicon translator needs a path (translator.path=...)")
            path = source.lexicon_path()
        if len(langs) != 2 or langs[0] == langs[1]:
            raise ConfigError(f"lexicon langs must name two different languages, got {langs}")
        self.path = Path(path)
        self.langs = (str(langs[0]), str(langs[1]))
        self.lowercase = lowercase
        pairs = read_lexicon(self.path)
        self.forward = _first_wins(pairs, lowercase)
        backward = [(" ".join(tgt), [src]) for src, tgt in pairs]
        self.backward = _first_wins(backward, lowercase)

    def _table(self, src_lang: str, tgt_lang: str) -> dict[str, list[str]]:
        if (src_lang, tgt_lang) == self.langs:
            return self.forward
        if (tgt_lang, src_lang) == self.langs:
            return self.backward
        raise ConfigError(
            f"lexicon {self.path} translates {self.langs[0]}<->{self.langs[1]}, "
            f"not {src_lang}->{tgt_lang}"
        )

    def _word(self, table: dict[str, list[str]], word: str) -> list[str]:
        if not self.lowercase:
            return list(table.get(word, [word]))
        found = table.get(word.lower())
        if found is None:
            return [word]
        if word[:1].isupper():
            return [found[0][:1].upper() + found[0][1:], *found[1:]]
        return list(found)

    def check(self, src_lang: str, tgt_lang: str) -> None:
        self._table(src_lang, tgt_lang)

    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]:
        table = self._table(src_lang, tgt_lang)
        return [[out for word in sent for out in self._word(table, word)] for sent in sentences]

    def translate_texts(
        self, texts: Sequence[str], src_lang: str, tgt_lang: str, markup: str | None = None
    ) -> list[str]:
        """Whitespace-separated tokens translated one by one (markers are copied unchanged)."""
        return [
            " ".join(words)
            for words in self.translate([t.split() for t in texts], src_lang, tgt_lang)
        ]
