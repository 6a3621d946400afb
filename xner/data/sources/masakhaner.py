"""MasakhaNER 2.0: ``{root}/{lang}/{train,dev,test}.txt`` (the layout of ``folder.py``)."""

from xner.data.corpora import MASAKHANER2
from xner.data.sources.folder import FolderSource


class MasakhaNER2(FolderSource):
    """MasakhaNER 2.0: ``{root}/{lang}/{train,dev,test}.txt`` (masakhane-ner MasakhaNER2.0/data)."""

    name = "masakhaner2"
    languages = tuple(MASAKHANER2)
