"""Dataset sources: where labelled sentences of a language and split come from.

Every source answers ``split(lang, split)`` with IOB2 :class:`TaggedSentence` lists, after
mapping the labels in ``label_drop`` to O and applying the per-split sentence caps
(``max_train_sentences`` ...). A ``root`` is a local folder or an https URL; URL files are
downloaded once into ``cache_dir`` and read from there afterwards. Sources are built by
Hydra from ``conf/data/<name>.yaml``.
"""

import hashlib
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

from xner.data.conll import TaggedSentence, parse_conll, read_conll
from xner.data.tags import SCHEMES, filter_labels
from xner.errors import ConfigError, DataError
from xner.paths import is_safe_name

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
_WHITESPACE = re.compile(r"\s")
DATA_HINT = "set data.strict_iob2=false to read it as conlleval does, as the start of an entity"
_OFFLINE_VARIABLES = ("XNER_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def check_name(value: str, what: str = "language code") -> str:
    """Refuse names that could escape a folder (``../x``, ``a/b``) before they reach a path."""
    if not is_safe_name(value):
        raise ConfigError(
            f"{what} {value!r} is not a plain name (letters, digits, '-', '_', '.'; no '..')"
        )
    return value


def check_root(root: str | os.PathLike | None, name: str, key: str = "data") -> None:
    """Refuse a local data folder that does not exist (a URL or no root is checked on use)."""
    if root is None or is_url(root):
        return
    if not Path(root).is_dir():
        raise ConfigError(
            f"{name}: data folder {root} does not exist; set {key}.root=/local/folder"
        )


def default_cache_dir() -> Path:
    return Path(os.environ.get("XNER_CACHE", ".cache")) / "data"


def is_url(root: str | os.PathLike | None) -> bool:
    return isinstance(root, str) and root.startswith(("https://", "http://"))


def offline() -> bool:
    return any(os.environ.get(name, "") not in ("", "0") for name in _OFFLINE_VARIABLES)


def cached_copy(url: str, cache_dir: str | os.PathLike) -> Path:
    """Where :func:`fetch` keeps its copy of ``url`` (present or not)."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "file"
    return Path(cache_dir) / "downloads" / f"{digest}-{name}"


def fetch(url: str, cache_dir: str | os.PathLike, timeout: float = 60.0) -> Path:
    """The local copy of ``url``, downloaded into ``cache_dir`` on first use (atomic write)."""
    target = cached_copy(url, cache_dir)
    if target.is_file():
        return target
    hint = "download it yourself and set data.root=/local/folder"
    if offline():
        raise ConfigError(f"offline and {url} is not cached in {target.parent}; {hint}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as err:
        raise DataError(
            f"{url}: HTTP {err.code} {err.reason} (no such file at this root?)"
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConfigError(
            f"cannot download {url} ({reason}) and it is not cached; {hint}"
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, target)
    log.info("downloaded %s to %s", url, target)
    return target


class Source:
    """Base class: caching, label dropping, sentence caps and root resolution."""

    name = "source"
    languages: tuple[str, ...] = ()

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        name: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        scheme: str = "iob2",
        strict_iob2: bool = False,
        label_drop: Iterable[str] = (),
        max_train_sentences: int | None = None,
        max_dev_sentences: int | None = None,
        max_test_sentences: int | None = None,
    ) -> None:
        self.root = str(root) if is_url(root) else (Path(root) if root is not None else None)
        if name is not None:
            self.name = check_name(name, "dataset name")
        check_root(self.root, self.name)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        if scheme not in SCHEMES:
            raise ConfigError(
                f"data.scheme={scheme!r} is unknown; choose one of {', '.join(SCHEMES)}"
            )
        self.scheme = scheme
        self.orphans = "refuse" if strict_iob2 else "begin"
        self.label_drop = sorted(label_drop or ())
        self.caps = {
            "train": max_train_sentences,
            "dev": max_dev_sentences,
            "test": max_test_sentences,
        }
        for split, cap in self.caps.items():
            if cap is not None and (not isinstance(cap, int) or cap < 0):
                raise ConfigError(f"data.max_{split}_sentences must be null or >= 0, got {cap!r}")
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

    def unavailable(self, lang: str, split: str) -> str | None:
        """Why ``split`` cannot be read offline (a download that is not cached), else None.

        Reads no data: a sweep asks this of every job before it creates any MLflow run.
        """
        if not isinstance(self.root, str) or not offline():
            return None
        url = f"{self.root.rstrip('/')}/{self._file(lang, split)}"
        if cached_copy(url, self.cache_dir).is_file():
            return None
        return f"{self.name}: offline and {url} is not cached"

    def _file(self, lang: str, split: str) -> str:
        """The file holding ``split`` of ``lang``, relative to ``root``."""
        raise NotImplementedError

    def _check(self, lang: str, split: str) -> None:
        check_name(lang)
        if split not in SPLITS:
            raise ConfigError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        raise NotImplementedError

    def _has(self, lang: str, split: str) -> bool:
        raise NotImplementedError

    def _local_or_fetched(self, relative: str) -> Path | None:
        """Path of ``root/relative``: None if absent locally; fetched once if root is a URL."""
        if self.root is None:
            raise ConfigError(f"data source {self.name} has no root; set data.root=/local/folder")
        if isinstance(self.root, str):
            return fetch(f"{self.root.rstrip('/')}/{relative}", self.cache_dir)
        path = self.root / relative
        return path if path.is_file() else None

    def _read_relative(self, relative: str, lang: str, split: str) -> list[TaggedSentence]:
        """Read ``root/relative``; a missing root folder or file is a one-line error."""
        if isinstance(self.root, Path) and not self.root.is_dir():
            raise ConfigError(
                f"{self.name}: data folder {self.root} does not exist; set data.root=/local/folder"
            )
        path = self._local_or_fetched(relative)
        if path is None:
            raise self._missing(lang, split, str(self.root / relative))  # type: ignore[operator]
        return self._read(path)

    def _read(self, path: Path) -> list[TaggedSentence]:
        return read_conll(path, scheme=self.scheme, orphans=self.orphans, hint=DATA_HINT)

    def _missing(self, lang: str, split: str, expected: str) -> DataError:
        return DataError(
            f"{self.name}: no {split} split for {lang!r}: {expected} does not exist "
            f"(set data.root=/local/folder holding it)"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self.root!s})"


class FolderSource(Source):
    """``{root}/{lang}/{split}.txt`` CoNLL files (local folder or https root)."""

    def _relative(self, lang: str, split: str) -> str:
        return f"{lang}/{split}.txt"

    _file = _relative

    def _check(self, lang: str, split: str) -> None:
        super()._check(lang, split)
        if self.languages and lang not in self.languages and not self._local_language(lang):
            raise ConfigError(
                f"{self.name}: unknown language {lang!r}; choose one of {', '.join(self.languages)}"
                " (or point data.root at a folder that has it)"
            )

    def _local_language(self, lang: str) -> bool:
        return isinstance(self.root, Path) and (self.root / lang).is_dir()

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        return self._read_relative(self._relative(lang, split), lang, split)

    def _has(self, lang: str, split: str) -> bool:
        if isinstance(self.root, str):
            return not self.languages or lang in self.languages
        return self.root is not None and (self.root / self._relative(lang, split)).is_file()


class MasakhaNER2(FolderSource):
    """MasakhaNER 2.0: ``{root}/{lang}/{train,dev,test}.txt`` (masakhane-ner MasakhaNER2.0/data)."""

    name = "masakhaner2"
    languages = (
        "bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos",
        "nya", "pcm", "sna", "swa", "tsn", "twi", "wol", "xho", "yor", "zul",
    )  # fmt: skip
    DEFAULT_ROOT = (
        "https://raw.githubusercontent.com/masakhane-io/masakhane-ner/main/MasakhaNER2.0/data"
    )

    def __init__(self, root: str | os.PathLike | None = DEFAULT_ROOT, **options) -> None:
        super().__init__(root, **options)


class HFSource(Source):
    """A local folder if ``root`` is set, otherwise a Hugging Face ``datasets`` dataset.

    ``datasets`` is not a dependency of xner: it is imported only when a source needs it.
    """

    hf_splits = {"train": "train", "dev": "validation", "test": "test"}

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        hf_id: str | None = None,
        hf_config: str | None = None,
        **options,
    ) -> None:
        super().__init__(root, **options)
        self.hf_id = hf_id
        self.hf_config = hf_config

    def unavailable(self, lang: str, split: str) -> str | None:
        if self.root is not None or not offline() or not self.hf_id:
            return super().unavailable(lang, split)
        cached = self.cache_dir / "hf" / self.hf_id.replace("/", "___")
        if cached.is_dir():
            return None
        return f"{self.name}: offline and the Hugging Face dataset {self.hf_id} is not cached"

    def _file(self, lang: str, split: str) -> str:
        return f"{lang}/{split}.txt"

    def _load_hf(self, lang: str, split: str) -> list[TaggedSentence]:
        if not self.hf_id:
            raise ConfigError(f"data source {self.name} needs data.root or data.hf_id")
        config = self.hf_config.format(lang=lang) if self.hf_config else None
        origin = f"{self.hf_id}" + (f" ({config})" if config else "") + f" {self.hf_splits[split]}"
        try:
            import datasets
        except ImportError:
            raise ConfigError(
                f"{self.name}: reading {origin} needs the 'datasets' package "
                "(pip install datasets), or set data.root=/local/folder with CoNLL files"
            ) from None
        try:
            dataset = datasets.load_dataset(
                self.hf_id,
                config,
                split=self.hf_splits[split],
                cache_dir=str(self.cache_dir / "hf"),
            )
        except Exception as err:  # datasets raises many types for a missing or offline dataset
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ConfigError(
                f"{self.name}: cannot load {origin}: {message}; "
                "set data.root=/local/folder with CoNLL files instead"
            ) from None
        names = dataset.features["ner_tags"].feature.names
        rows = [(row["tokens"], [names[t] for t in row["ner_tags"]]) for row in dataset]
        return rows_to_sentences(rows, origin, self.scheme, self.orphans)


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


class WikiANN(HFSource):
    """WikiANN / XTREME PAN-X, any language code.

    With ``root`` set: ``{root}/{lang}/{train,dev,test}.txt`` CoNLL files; tokens written as
    ``lang:word`` (the raw PAN-X format) lose that prefix. Otherwise the HF ``datasets`` id
    ``hf_id`` with configuration ``hf_config`` (``{lang}`` is filled in).
    """

    name = "wikiann"

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        hf_id: str | None = "unimelb-nlp/wikiann",
        hf_config: str | None = "{lang}",
        **options,
    ) -> None:
        super().__init__(root, hf_id=hf_id, hf_config=hf_config, **options)

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        if self.root is None:
            return self._load_hf(lang, split)
        sentences = self._read_relative(f"{lang}/{split}.txt", lang, split)
        prefix = f"{lang}:"
        for sent in sentences:
            sent.words = [w.removeprefix(prefix) if len(w) > len(prefix) else w for w in sent.words]
        return sentences

    def _has(self, lang: str, split: str) -> bool:
        if not isinstance(self.root, Path):
            return True
        return (self.root / lang / f"{split}.txt").is_file()


class CoNLL2003(HFSource):
    """CoNLL-2003 English (language ``en`` only).

    With ``root`` set: ``{root}/train.txt``, ``{root}/dev.txt`` (or ``valid.txt``, ``eng.testa``),
    ``{root}/test.txt`` (or ``eng.testb``). The original ``eng.*`` files use IOB1 tags: set
    ``data.scheme=iob1`` for them. Otherwise the HF ``datasets`` id ``hf_id``.
    """

    name = "conll2003"
    languages = ("en",)
    files = {
        "train": ("train.txt", "eng.train"),
        "dev": ("dev.txt", "valid.txt", "eng.testa"),
        "test": ("test.txt", "eng.testb"),
    }

    def __init__(
        self, root: str | os.PathLike | None = None, *, hf_id: str | None = "eriktks/conll2003",
        **options,
    ) -> None:  # fmt: skip
        super().__init__(root, hf_id=hf_id, hf_config=None, **options)

    def _check(self, lang: str, split: str) -> None:
        super()._check(lang, split)
        if lang not in self.languages:
            raise ConfigError(f"{self.name} is English only (lang 'en'), not {lang!r}")

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        if self.root is None:
            return self._load_hf(lang, split)
        names = self.files[split]
        if isinstance(self.root, Path):
            found = [name for name in names if (self.root / name).is_file()]
            if not found and self.root.is_dir():
                raise self._missing(lang, split, " or ".join(str(self.root / n) for n in names))
            names = found or names
        return self._read_relative(names[0], lang, split)

    def _has(self, lang: str, split: str) -> bool:
        if not isinstance(self.root, Path):
            return True
        return any((self.root / name).is_file() for name in self.files[split])

    def _file(self, lang: str, split: str) -> str:
        return self.files[split][0]


class Europarl(Source):
    """Europarl-NER: ``{root}/{lang}-europarl.test.conll02``; sentence i of each file is parallel.

    The 799 sentences are split by position: train = the first ``train_size``, test = the
    last ``test_size``, dev = the ``dev_size`` sentences just before the test block.
    """

    name = "europarl"
    languages = ("en", "de", "es", "it")

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        train_size: int = 600,
        dev_size: int = 0,
        test_size: int = 199,
        **options,
    ) -> None:
        super().__init__(root, **options)
        self.sizes = {"train": train_size, "dev": dev_size, "test": test_size}
        self._files: dict[str, list[TaggedSentence]] = {}

    def _check(self, lang: str, split: str) -> None:
        super()._check(lang, split)
        if lang not in self.languages:
            raise ConfigError(
                f"{self.name}: unknown language {lang!r}; choose one of {', '.join(self.languages)}"
            )

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
            raise DataError(f"{self.name}: no dev split (dev_size is 0)")
        bounds = {"train": (0, train), "dev": (total - test - dev, total - test)}
        start, end = bounds.get(split, (total - test, total))
        return sentences[start:end]

    def _has(self, lang: str, split: str) -> bool:
        return self.sizes[split] > 0

    def _check_parallel(self, lang: str, count: int) -> None:
        """Splits are by position, so every language file must have the same sentences."""
        if not isinstance(self.root, Path):
            return
        for other in self.languages:
            if other == lang or not (self.root / self.path(other)).is_file():
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
                    f"{self.name}: {self.root / self.path(lang)} has {count} sentences but "
                    f"{self.root / self.path(other)} has {len(theirs)}: the files are not "
                    f"parallel (sentence i of each must translate the other; the lengths "
                    f"first diverge near sentence {first})"
                )


class Synthetic(Source):
    """The seeded synthetic parallel corpus (languages ``en`` and ``syn``), generated in memory.

    ``root`` is the folder the corpus files and the bilingual lexicon are written to on
    demand (``write()``, ``lexicon_path()``), under ``cache_dir`` unless given.
    """

    name = "synthetic"
    languages = ("en", "syn")

    def __init__(
        self,
        seed: int = 0,
        n_train: int = 400,
        n_dev: int = 100,
        n_test: int = 100,
        root: str | os.PathLike | None = None,
        **options,
    ) -> None:
        super().__init__(None, **options)
        self.seed, self.sizes = seed, (n_train, n_dev, n_test)
        from xner.data.synthetic import VERSION

        folder = f"synthetic-v{VERSION}-seed{seed}-{n_train}-{n_dev}-{n_test}"
        self.root = Path(root) if root is not None else self.cache_dir / folder
        self._corpus = None

    @property
    def corpus(self):
        if self._corpus is None:
            from xner.data.synthetic import generate

            self._corpus = generate(self.seed, *self.sizes)
        return self._corpus

    def _check(self, lang: str, split: str) -> None:
        super()._check(lang, split)
        if lang not in self.languages:
            raise ConfigError(f"{self.name}: languages are 'en' and 'syn', not {lang!r}")

    def _load(self, lang: str, split: str) -> list[TaggedSentence]:
        return self.corpus.split(lang, split)

    def _has(self, lang: str, split: str) -> bool:
        return dict(zip(SPLITS, self.sizes, strict=True))[split] > 0

    def write(self) -> Path:
        """Write the corpus files (once) and return their folder."""
        from xner.data.synthetic import LEXICON_FILE, write_corpus

        if not (self.root / LEXICON_FILE).is_file():  # type: ignore[operator]
            write_corpus(self.corpus, self.root)
        return self.root  # type: ignore[return-value]

    def lexicon_path(self) -> Path:
        """The en -> syn lexicon TSV (``source word<TAB>target word``), written on first use."""
        from xner.data.synthetic import LEXICON_FILE

        return self.write() / LEXICON_FILE
