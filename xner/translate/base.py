"""The translator interface: sentences (word lists) in one language -> word lists in another."""

from abc import ABC, abstractmethod
from collections.abc import Sequence


class Translator(ABC):
    """Translates batches of word-tokenised sentences; output order follows the input order."""

    @abstractmethod
    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]: ...
