"""Dataset sources: where labelled sentences of a language and split come from.

Every source answers ``split(lang, split)`` with IOB2 :class:`TaggedSentence` lists, after
mapping the labels in ``label_drop`` to O and applying the per-split sentence caps
(``max_train_sentences`` ...). A ``root`` is a local folder or an https URL (``roots.py``);
URL files are downloaded once into ``cache_dir`` and read from there afterwards. Sources are
built by Hydra from ``conf/data/<name>.yaml`` (``_target_: xner.data.sources.<Class>``).

- ``base.py``: :class:`Source` (checks, label drop, caps) and :class:`FileSource` (files
  under a root); ``roots.py``: the kinds of root and the download cache;
- ``folder.py``: the ``{root}/{lang}/{split}.txt`` layout and ``data=conll``, your own files;
- ``masakhaner.py``, ``europarl.py``, ``hf.py`` (WikiANN, CoNLL-2003), ``synthetic.py``: one
  module per corpus.
"""

from xner.data.sources.base import DATA_HINT, SPLITS, FileSource, Source, check_name
from xner.data.sources.europarl import Europarl
from xner.data.sources.folder import ConllFolder, FolderSource
from xner.data.sources.hf import CoNLL2003, HFSource, WikiANN, rows_to_sentences
from xner.data.sources.masakhaner import MasakhaNER2
from xner.data.sources.roots import check_root, default_cache_dir, fetch, is_url
from xner.data.sources.synthetic import Synthetic

__all__ = [
    "DATA_HINT",
    "SPLITS",
    "CoNLL2003",
    "ConllFolder",
    "Europarl",
    "FileSource",
    "FolderSource",
    "HFSource",
    "MasakhaNER2",
    "Source",
    "Synthetic",
    "WikiANN",
    "check_name",
    "check_root",
    "default_cache_dir",
    "fetch",
    "is_url",
    "rows_to_sentences",
]
