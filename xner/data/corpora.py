"""Which corpus a language comes from when no ``data=`` is given: one table, read top to bottom.

| language                         | corpus (``conf/data/<name>.yaml``)                     |
|----------------------------------|--------------------------------------------------------|
| ``syn``                          | ``synthetic``                                          |
| ``de``, ``es``, ``it``           | ``europarl``, when its file is under ``paths.shared``  |
| the 20 MasakhaNER 2.0 codes      | ``masakhaner2``                                        |
| ``en`` (a source language)       | ``conll2003``                                          |
| the other 40 codes of ``WIKIANN`` | ``wikiann``                                           |
| any other code                   | refused: no corpus xner knows has it                   |

A code no corpus has is refused in one line that says so (WikiANN has 176 languages; this table
knows the 40 of XTREME's PAN-X: for another, give ``data=wikiann``; for your own files,
``data=conll``).

The source corpus (``data@source_data``) is the target corpus itself when that corpus also
holds ``source_lang`` (the parallel corpora: synthetic, Europarl); otherwise the same table
picks it for ``source_lang``. ``data=`` and ``data@source_data=`` always win.
"""

from collections.abc import Sequence
from pathlib import Path

from xner.errors import ConfigError
from xner.paths import safe_name

# The languages of the multilingual corpora (their dataset codes).
MASAKHANER2 = (
    "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul".split()
)
WIKIANN = (
    "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru "
    "sw ta te th tl tr ur vi yo zh"
).split()

# (corpus, its languages, whether the corpus files must be present under paths.shared)
TABLE: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("synthetic", ("syn",), False),
    ("europarl", ("de", "es", "it"), True),
    ("masakhaner2", tuple(MASAKHANER2), False),
    ("conll2003", ("en",), False),
    ("wikiann", tuple(WIKIANN), False),
)
# Corpora that hold more than one language, sentence-aligned: the source side comes with them.
PARALLEL = {"synthetic": ("en", "syn"), "europarl": ("en", "de", "es", "it")}
# Every language each corpus holds (the table's picks and the source sides of parallel corpora).
HOLDINGS: dict[str, tuple[str, ...]] = {
    "synthetic": PARALLEL["synthetic"],
    "europarl": PARALLEL["europarl"],
    "masakhaner2": tuple(MASAKHANER2),
    "conll2003": ("en",),
    "wikiann": tuple(WIKIANN),
}


def europarl_file(shared: Path, lang: str) -> Path:
    return Path(shared) / "data" / "europarl" / f"{lang}-europarl.test.conll02"


def corpora_with(lang: str) -> list[str]:
    """The corpora xner knows that hold ``lang`` (:data:`HOLDINGS`), in the table's order."""
    return [corpus for corpus, languages in HOLDINGS.items() if lang in languages]


def elsewhere(lang: str) -> str:
    """Where else ``lang`` is, for the error of a corpus that lacks it."""
    found = corpora_with(lang)
    if not found:
        return f"no corpus xner knows has {lang!r}"
    return f"{lang!r} is in {', '.join(found)} ({', '.join(f'data={c}' for c in found)})"


def corpus_for(lang: str, shared: Path, key: str = "lang") -> str:
    """The corpus ``lang`` comes from by default (the table above); ``key`` names the option
    in the refusal of a code no corpus has (a code that could leave its folder is refused first)."""
    safe_name(lang, "source language code" if key == "source_lang" else "language code")
    for corpus, languages, needs_files in TABLE:
        if lang in languages and (not needs_files or europarl_file(shared, lang).is_file()):
            return corpus
    raise ConfigError(
        f"{key}={lang}: {lang!r} is not a language code xner knows: no corpus it knows has it "
        f"(their codes: xner/data/corpora.py); for your own CoNLL files give data=conll "
        f"data.root=<folder holding {lang}/train.txt, dev.txt, test.txt>; for one of WikiANN's "
        f"other languages, data=wikiann"
    )


def source_corpus_for(source_lang: str, target_corpus: str, shared: Path) -> str:
    """The source corpus: the target's own when it is parallel and holds ``source_lang``."""
    if source_lang in PARALLEL.get(target_corpus, ()):
        return target_corpus
    return corpus_for(source_lang, shared, "source_lang")


def overrides_for(given: Sequence[str], lang: str, source_lang: str, shared: Path) -> list[str]:
    """The ``data=`` / ``data@source_data=`` overrides to add to ``given`` (none that it sets)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in given if "=" in o}
    added: list[str] = []
    target = next((o.split("=", 1)[1] for o in given if o.split("=", 1)[0] == "data"), None)
    if "data" not in keys:
        target = corpus_for(lang, shared)
        added.append(f"data={target}")
    if not keys & {"data@source_data", "source_data"} and target is not None and "," not in target:
        added.append(f"data@source_data={source_corpus_for(source_lang, target, shared)}")
    return added
