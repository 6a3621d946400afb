"""What every dataset source shares: the checks, label dropping, sentence caps and caching.

:class:`Source` answers ``split(lang, split)``; :class:`FileSource` reads CoNLL files
relative to its :class:`~xner.data.sources.roots.Root`, whatever kind of root that is.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from xner.data.conll import LAYOUT, Columns, TaggedSentence, read_conll
from xner.data.corpora import elsewhere
from xner.data.sources.roots import Root, check_root, default_cache_dir, root_of
from xner.data.tags import SCHEMES, filter_labels
from xner.errors import ConfigError, DataError
from xner.options import Range, in_range, one_of
from xner.paths import is_safe_name

SPLITS = ("train", "dev", "test")
DATA_HINT = "set data.strict_iob2=false to read it as conlleval does, as the start of an entity"


def check_name(value: str, what: str = "language code") -> str:
    """Refuse names that could escape a folder (``../x``, ``a/b``) before they reach a path."""
    if not is_safe_name(value):
        raise ConfigError(
            f"{what} {value!r} is not a plain name (letters, digits, '-', '_', '.'; no '..')"
        )
    return value


class Source:
    """Base class: name and split checks, label dropping, sentence caps and caching."""

    name = "source"
    languages: tuple[str, ...] = ()
    root: object = None  # where the data is: a Root (FileSource), the folder Synthetic writes
    # The error for a language outside ``languages`` ({name}, {lang!r} and {choices} filled in).
    unknown_language = "{name}: unknown language {lang!r}; choose one of {choices}"

    def __init__(
        self,
        *,
        name: str | None = None,
        cache_dir: str | os.PathLike | None,
        scheme: str,
        strict_iob2: bool,
        label_drop: Iterable[str],
        max_train_sentences: int | None,
        max_dev_sentences: int | None,
        max_test_sentences: int | None,
    ) -> None:
        """``name``: the class's own unless given (``build`` drops a group file's ``name``,
        a meta key); ``cache_dir`` None: ``$XNER_CACHE/data``."""
        if name is not None:
            self.name = check_name(name, "dataset name")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.scheme = one_of("data.scheme", scheme, SCHEMES)
        self.orphans = "refuse" if strict_iob2 else "begin"
        self.label_drop = sorted(label_drop or ())
        self.caps = {
            "train": max_train_sentences,
            "dev": max_dev_sentences,
            "test": max_test_sentences,
        }
        for split, cap in self.caps.items():
            if cap is not None:
                in_range(f"data.max_{split}_sentences", cap, Range(0))
        self._loaded: dict[tuple[str, str], list[TaggedSentence]] = {}

    def split(self, lang: str, split: str) -> list[TaggedSentence]:
        """Sentences of one language and split, labels dropped and capped as configured."""
        self._check(lang, split)
        key = (lang, split)
        if key not in self._loaded:
            self._loaded[key] = self._load(lang, split)
        cap = self.caps[split]
        sentences = self._loaded[key][: cap if cap is not None else None]
        return [
            TaggedSentence(list(s.words), filter_labels(s.tags, self.label_drop), s.columns)
            for s in sentences
        ]

    def has_split(self, lang: str, split: str) -> bool:
        self._check(lang, split)
        return self._has(lang, split)

    def missing(self, lang: str, split: str) -> str:
        """Why ``split`` of ``lang`` is not there (where it was looked for), for an error line."""
        return f"{self.name}: no {split} split for {lang!r}"

    def unavailable(self, lang: str, split: str) -> str | None:
        """Why ``split`` cannot be read offline (a download that is not cached), else None.

        Reads no data: a sweep asks this of every job before it creates any MLflow run.
        """
        return None

    def _check(self, lang: str, split: str) -> None:
        """One check for every source: a plain language code it offers, a known split."""
        check_name(lang)
        one_of("split", split, SPLITS)
        if self.languages and lang not in self.languages and not self._also_offers(lang):
            choices = ", ".join(self.languages)
            raise ConfigError(
                self.unknown_language.format(name=self.name, lang=lang, choices=choices)
                + f"; {elsewhere(lang)}"
            )

    def _also_offers(self, lang: str) -> bool:
        """Whether ``lang``, outside ``languages``, can still be read (a folder that has it)."""
        return False

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        raise NotImplementedError

    def _has(self, lang: str, split: str) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self.root!s})"


class FileSource(Source):
    """A source whose splits are CoNLL files under ``root`` (a local folder or https URL)."""

    columns: Columns = LAYOUT  # where a line's word and tag are (data=conll: its settings)

    def __init__(self, root: str | os.PathLike | None, **options) -> None:
        name = options.get("name")  # a missing folder is named before any other bad option
        check_root(root, check_name(name, "dataset name") if name is not None else self.name)
        super().__init__(**options)
        self.root: Root = root_of(root, self.name, self.cache_dir)

    def unavailable(self, lang: str, split: str) -> str | None:
        why = self.root.unavailable(self._file(lang, split))
        return f"{self.name}: {why}" if why else None

    def _file(self, lang: str, split: str) -> str:
        """The file holding ``split`` of ``lang``, relative to ``root``."""
        raise NotImplementedError

    def _read_relative(self, relative: str, lang: str, split: str) -> list[TaggedSentence]:
        """Read ``root/relative``; a missing root folder or file is a one-line error."""
        self.root.check(self.name)
        path = self.root.open(relative)
        if path is None:
            raise DataError(self._missing(lang, split, relative))
        return read_conll(
            path, scheme=self.scheme, orphans=self.orphans, hint=DATA_HINT, columns=self.columns
        )

    def missing(self, lang: str, split: str) -> str:
        return self._missing(lang, split, self._file(lang, split))

    def _missing(self, lang: str, split: str, *relatives: str) -> str:
        return (
            f"{self.name}: no {split} split for {lang!r}: {self.root.absence(*relatives)} "
            f"(set data.root=/local/folder holding it)"
        )
