"""The seeded synthetic parallel corpus as a source (the generator is ``xner.data.synthetic``)."""

import os
from pathlib import Path

from xner.data.conll import TaggedSentence
from xner.data.sources.base import SPLITS, Source
from xner.errors import ConfigError


class Synthetic(Source):
    """The seeded synthetic parallel corpus (languages ``en`` and ``syn``), generated in memory.

    ``root`` is the folder the corpus files and the bilingual lexicon are written to on
    demand (``write()``, ``lexicon_path()``), under ``cache_dir`` unless given.
    """

    name = "synthetic"
    languages = ("en", "syn")
    unknown_language = "{name}: languages are 'en' and 'syn', not {lang!r}"

    def __init__(
        self,
        *,
        seed: int,
        n_train: int,
        n_dev: int,
        n_test: int,
        root: str | os.PathLike | None = None,
        **options,
    ) -> None:
        """``root`` (no shipped file sets it): where the files go, ``cache_dir`` unless given."""
        super().__init__(scheme="iob2", strict_iob2=False, **options)  # generated IOB2
        self.seed, self.sizes = seed, (n_train, n_dev, n_test)
        from xner.data.synthetic import VERSION

        folder = f"synthetic-v{VERSION}-seed{seed}-{n_train}-{n_dev}-{n_test}"
        self.root: Path = Path(root) if root is not None else self.cache_dir / folder
        self._corpus = None

    @property
    def corpus(self):
        if self._corpus is None:
            from xner.data.synthetic import generate

            self._corpus = generate(self.seed, *self.sizes)
        return self._corpus

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        return self.corpus.split(lang, split)

    def _has(self, lang: str, split: str) -> bool:
        return dict(zip(SPLITS, self.sizes, strict=True))[split] > 0

    def machine_translation(self, src_lang: str, tgt_lang: str, split: str) -> list[list[str]]:
        """The synthetic MT of each ``src_lang`` sentence of ``split`` (see xner.data.synthetic)."""
        for lang in (src_lang, tgt_lang):
            self.has_split(lang, split)  # an unknown language is the source's ConfigError
        if src_lang == tgt_lang:
            raise ConfigError(f"{self.name}: no machine translation from {src_lang} to itself")
        return self.corpus.machine[src_lang, tgt_lang][split]

    def write(self) -> Path:
        """Write the corpus files (once) and return their folder."""
        from xner.data.synthetic import LEXICON_FILE, write_corpus

        if not (self.root / LEXICON_FILE).is_file():
            write_corpus(self.corpus, self.root)
        return self.root

    def lexicon_path(self) -> Path:
        """The en -> syn lexicon TSV (``source word<TAB>target word``), written on first use."""
        from xner.data.synthetic import LEXICON_FILE

        return self.write() / LEXICON_FILE
