"""Europarl-NER: four sentence-parallel files, split into train/dev/test by position."""

import os

from xner.data.conll import TaggedSentence
from xner.data.sources.base import SPLITS, FileSource
from xner.errors import ConfigError, DataError


class Europarl(FileSource):
    """Europarl-NER: ``{root}/{lang}-europarl.test.conll02``; sentence i of each file is parallel.

    The 799 sentences are split by position: train = the first ``train_size``, test = the
    last ``test_size``, dev = the ``dev_size`` sentences just before the test block.
    """

    name = "europarl"
    languages = ("en", "de", "es", "it")

    def __init__(
        self,
        root: str | os.PathLike | None,
        *,
        train_size: int,
        dev_size: int,
        test_size: int,
        **options,
    ) -> None:
        super().__init__(root, **options)
        self.sizes = {"train": train_size, "dev": dev_size, "test": test_size}
        self._files: dict[str, list[TaggedSentence]] = {}

    def path(self, lang: str) -> str:
        return f"{lang}-europarl.test.conll02"

    def _file(self, lang: str, split: str) -> str:
        return self.path(lang)

    def all_sentences(self, lang: str) -> list[TaggedSentence]:
        """Every sentence of the language's file, in file order (before any split)."""
        self._check(lang, "test")
        if lang not in self._files:
            self._files[lang] = self._read_relative(self.path(lang), lang, "test")
        return self._files[lang]

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        sentences = self.all_sentences(lang)
        self._check_parallel(lang, len(sentences))
        train, dev, test = (self.sizes[s] for s in SPLITS)
        total = len(sentences)
        if train + dev + test > total:
            raise ConfigError(
                f"{self.name}: train_size {train} + dev_size {dev} + test_size {test} exceeds "
                f"the {total} sentences of {lang}"
            )
        if split == "dev" and not dev:
            raise DataError(self.missing(lang, split))
        bounds = {"train": (0, train), "dev": (total - test - dev, total - test)}
        start, end = bounds.get(split, (total - test, total))
        return sentences[start:end]

    def _has(self, lang: str, split: str) -> bool:
        return self.sizes[split] > 0

    def missing(self, lang: str, split: str) -> str:
        if not self.sizes[split]:
            return f"{self.name}: no {split} split ({split}_size is 0)"
        return super().missing(lang, split)

    def _check_parallel(self, lang: str, count: int) -> None:
        """Splits are by position, so every language file present here must be as long."""
        for other in self.languages:
            if other == lang or not self.root.present(self.path(other)):
                continue
            theirs = self.all_sentences(other)
            if len(theirs) != count:
                mine = self.all_sentences(lang)
                first = next(
                    (
                        i
                        for i, (a, b) in enumerate(zip(mine, theirs, strict=False))
                        if not 0.25 <= len(a) / max(len(b), 1) <= 4
                    ),
                    min(len(mine), len(theirs)),
                )
                raise DataError(
                    f"{self.name}: {self.root.where(self.path(lang))} has {count} sentences but "
                    f"{self.root.where(self.path(other))} has {len(theirs)}: the files are not "
                    f"parallel (sentence i of each must translate the other; the lengths "
                    f"first diverge near sentence {first})"
                )
