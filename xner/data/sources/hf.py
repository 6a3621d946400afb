"""Sources read from a local folder when ``root`` is set, else from a Hugging Face dataset.

``datasets`` (a dependency) is imported only when a source reads the hub.
"""

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from xner.data.conll import TaggedSentence, parse_conll
from xner.data.sources.base import DATA_HINT, FileSource
from xner.errors import ConfigError, DataError
from xner.offline import hub_endpoint, offline, unreachable

_WHITESPACE = re.compile(r"\s")


def rows_to_sentences(
    rows: Iterable[tuple[Sequence[str], Sequence[str]]],
    origin: str,
    scheme: str = "iob2",
    orphans: str = "begin",
) -> list[TaggedSentence]:
    """Validate (words, tags) rows as if they were a CoNLL file; whitespace in tokens becomes _."""
    lines = []
    for words, tags in rows:
        if not words:
            continue
        for word, tag in zip(words, tags, strict=True):
            token = _WHITESPACE.sub("_", word) or "_"
            lines.append(f"{token}\t{tag}")
        lines.append("")
    return parse_conll("\n".join(lines), origin, scheme, orphans, hint=DATA_HINT)


class HubDataset:
    """The Hugging Face dataset ``hf_id`` (configuration ``hf_config``, ``{lang}`` filled in)."""

    splits = {"train": "train", "dev": "validation", "test": "test"}

    def __init__(self, name: str, hf_id: str | None, hf_config: str | None, cache_dir: Path):
        self.name, self.hf_id, self.hf_config = name, hf_id, hf_config
        self.cache_dir = cache_dir / "hf"

    def unavailable(self) -> str | None:
        """Why the dataset cannot be read offline or without network (not cached), else None."""
        if not self.hf_id or (self.cache_dir / self.hf_id.replace("/", "___")).is_dir():
            return None
        why = "offline" if offline() else unreachable(hub_endpoint())
        return f"{why} and the Hugging Face dataset {self.hf_id} is not cached" if why else None

    def load(self, lang: str, split: str, scheme: str, orphans: str) -> list[TaggedSentence]:
        """The split's rows, validated like a CoNLL file; a one-line error when they cannot be."""
        if not self.hf_id:
            raise ConfigError(f"data source {self.name} needs data.root or data.hf_id")
        config = self.hf_config.format(lang=lang) if self.hf_config else None
        origin = f"{self.hf_id}" + (f" ({config})" if config else "") + f" {self.splits[split]}"
        try:
            import datasets
        except ImportError:
            raise ConfigError(
                f"{self.name}: reading {origin} needs the 'datasets' package "
                "(pip install datasets), or set data.root=/local/folder with CoNLL files"
            ) from None
        try:
            dataset = datasets.load_dataset(
                self.hf_id, config, split=self.splits[split], cache_dir=str(self.cache_dir)
            )
        except Exception as err:  # datasets raises many types for a missing or offline dataset
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ConfigError(
                f"{self.name}: cannot load {origin}: {message}; "
                "set data.root=/local/folder with CoNLL files instead"
            ) from None
        names = dataset.features["ner_tags"].feature.names
        rows = [(row["tokens"], [names[t] for t in row["ner_tags"]]) for row in dataset]
        return rows_to_sentences(rows, origin, scheme, orphans)


class HFSource(FileSource):
    """A local folder (or https URL) if ``root`` is set, otherwise a :class:`HubDataset`.

    Subclasses read their files in ``_load_files`` and ``_has_files``.
    """

    def __init__(
        self,
        root: str | os.PathLike | None,
        *,
        hf_id: str | None,
        hf_config: str | None,
        **options,
    ) -> None:
        super().__init__(root, **options)
        hub = HubDataset(self.name, hf_id, hf_config, self.cache_dir)
        self.hub = hub if root is None else None  # chosen once: files or the dataset

    def unavailable(self, lang: str, split: str) -> str | None:
        if self.hub is None:
            return super().unavailable(lang, split)
        why = self.hub.unavailable()
        return f"{self.name}: {why}" if why else None

    def _file(self, lang: str, split: str) -> str:
        return f"{lang}/{split}.txt"

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        if self.hub is None:
            return self._load_files(lang, split)
        return self.hub.load(lang, split, self.scheme, self.orphans)

    def _has(self, lang: str, split: str) -> bool:
        return self.hub is not None or self._has_files(lang, split)

    def _load_files(self, lang: str, split: str) -> list[TaggedSentence]:
        raise NotImplementedError

    def _has_files(self, lang: str, split: str) -> bool:
        raise NotImplementedError


class WikiANN(HFSource):
    """WikiANN / XTREME PAN-X, any language code.

    With ``root`` set: ``{root}/{lang}/{train,dev,test}.txt`` CoNLL files; tokens written as
    ``lang:word`` (the raw PAN-X format) lose that prefix. Otherwise the HF ``datasets`` id
    ``hf_id`` with configuration ``hf_config`` (``{lang}`` is filled in).
    """

    name = "wikiann"

    def __init__(
        self,
        root: str | os.PathLike | None,
        *,
        hf_id: str | None,
        hf_config: str | None,
        **options,
    ) -> None:
        super().__init__(root, hf_id=hf_id, hf_config=hf_config, **options)

    def _load_files(self, lang: str, split: str) -> list[TaggedSentence]:
        sentences = self._read_relative(self._file(lang, split), lang, split)
        prefix = f"{lang}:"
        for sent in sentences:
            sent.words = [w.removeprefix(prefix) if len(w) > len(prefix) else w for w in sent.words]
        return sentences

    def _has_files(self, lang: str, split: str) -> bool:
        return self.root.has(self._file(lang, split))


class CoNLL2003(HFSource):
    """CoNLL-2003 English (language ``en`` only).

    With ``root`` set: ``{root}/train.txt``, ``{root}/dev.txt`` (or ``valid.txt``, ``eng.testa``),
    ``{root}/test.txt`` (or ``eng.testb``). The original ``eng.*`` files use IOB1 tags: set
    ``data.scheme=iob1`` for them. Otherwise the HF ``datasets`` id ``hf_id``.
    """

    name = "conll2003"
    languages = ("en",)
    unknown_language = "{name} is English only (lang 'en'), not {lang!r}"
    files = {
        "train": ("train.txt", "eng.train"),
        "dev": ("dev.txt", "valid.txt", "eng.testa"),
        "test": ("test.txt", "eng.testb"),
    }

    def __init__(self, root: str | os.PathLike | None, *, hf_id: str | None, **options) -> None:
        super().__init__(root, hf_id=hf_id, hf_config=None, **options)  # one configuration

    def _load_files(self, lang: str, split: str) -> list[TaggedSentence]:
        """The first of the split's file names the root has (a URL: the first name)."""
        names = self.files[split]
        self.root.check(self.name)
        found = [name for name in names if self.root.has(name)]
        if not found:
            raise DataError(self._missing(lang, split, *names))
        return self._read_relative(found[0], lang, split)

    def _has_files(self, lang: str, split: str) -> bool:
        return any(self.root.has(name) for name in self.files[split])

    def missing(self, lang: str, split: str) -> str:
        return self._missing(lang, split, *self.files[split])

    def _file(self, lang: str, split: str) -> str:
        return self.files[split][0]
