"""Sources laid out as ``{root}/{lang}/{split}.txt``: any such folder, and your own CoNLL files.

:class:`FolderSource` is the layout (MasakhaNER 2.0 uses it); :class:`ConllFolder` is
``data=conll``: a folder of your own files for any language, read without code.
"""

import logging
import os
from collections import Counter

from xner.data.conll import Columns, TaggedSentence
from xner.data.sources.base import FileSource
from xner.data.sources.roots import LocalRoot, NoRoot
from xner.data.tags import entities
from xner.errors import ConfigError

log = logging.getLogger(__name__)
LAYOUT_HINT = "<lang>/train.txt, dev.txt, test.txt (any may be missing)"


class FolderSource(FileSource):
    """``{root}/{lang}/{split}.txt`` CoNLL files (local folder or https root)."""

    unknown_language = (
        "{name}: unknown language {lang!r}; choose one of {choices}"
        " (or point data.root at a folder that has it)"
    )

    def _file(self, lang: str, split: str) -> str:
        return f"{lang}/{split}.txt"

    def _also_offers(self, lang: str) -> bool:
        return self.root.has_folder(lang)

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        return self._read_relative(self._file(lang, split), lang, split)

    def _has(self, lang: str, split: str) -> bool:
        return self.root.has(self._file(lang, split))


class ConllFolder(FolderSource):
    """Your own CoNLL files: ``{root}/{lang}/{train,dev,test}.txt`` for any language code.

    Any split may be missing (a method reads the splits it needs; preflight names a missing
    one). The word and tag columns and the separator are settings (:class:`Columns`); the
    files go through the reader every corpus uses (line endings, byte order marks, invisible
    characters, orphan ``I-`` tags: ``xner.data.conll``). The label set is read from the files
    and logged with each split.
    """

    name = "conll"

    def __init__(
        self,
        root: str | os.PathLike | None,
        *,
        word_column: int,
        tag_column: int,
        separator: str,
        **options,
    ) -> None:
        super().__init__(root, **options)
        try:
            self.columns = Columns(word_column, tag_column, separator)
        except ValueError as err:
            raise ConfigError(
                f"{self.name}: {err} (data.word_column, data.tag_column, data.separator)"
            ) from None

    def _check(self, lang: str, split: str) -> None:
        """A root is given and, when it is a local folder, holds a folder for ``lang``."""
        super()._check(lang, split)
        if isinstance(self.root, NoRoot):
            raise ConfigError(
                f"{self.name}: no data.root: set data.root=/path/to/folder holding {LAYOUT_HINT}"
            )
        if isinstance(self.root, LocalRoot):
            self.root.check(self.name)
            if not self.root.has_folder(lang):
                there = sorted(p.name for p in self.root.path.iterdir() if p.is_dir())
                holds = f"it holds {', '.join(there)}" if there else "it holds no folder"
                raise ConfigError(
                    f"{self.name}: no folder {lang!r} in {self.root.path} ({holds}); "
                    f"data.root must hold {LAYOUT_HINT.replace('<lang>', lang)}"
                )

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        sentences = super()._load(lang, split)
        where = self.root.where(self._file(lang, split))
        log.info("%s %s %s: %s (%s)", self.name, lang, split, inventory(sentences), where)
        return sentences


def inventory(sentences: list[TaggedSentence]) -> str:
    """``40 sentences, 57 entities: LOC 20, ORG 17, PER 20``: the label set a file holds."""
    counts = Counter(e.label for s in sentences for e in entities(s.tags))
    labels = ", ".join(f"{label} {n}" for label, n in sorted(counts.items())) or "no label"
    return f"{len(sentences)} sentences, {sum(counts.values())} entities: {labels}"
