"""Sources laid out as ``{root}/{lang}/{split}.txt``: MasakhaNER 2.0 and any such folder."""

from xner.data.conll import TaggedSentence
from xner.data.corpora import MASAKHANER2
from xner.data.sources.base import FileSource


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


class MasakhaNER2(FolderSource):
    """MasakhaNER 2.0: ``{root}/{lang}/{train,dev,test}.txt`` (masakhane-ner MasakhaNER2.0/data)."""

    name = "masakhaner2"
    languages = tuple(MASAKHANER2)
