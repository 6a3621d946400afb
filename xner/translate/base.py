"""The translator interface: sentences (word lists) in one language -> word lists in another."""

from abc import ABC, abstractmethod
from collections.abc import Sequence


class Translator(ABC):
    """Translates batches of word-tokenised sentences; output order follows the input order."""

    def check(self, src_lang: str, tgt_lang: str) -> None:  # noqa: B027 (optional hook)
        """Refuse a language pair or a model the translator cannot use, before any work runs."""

    @abstractmethod
    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]: ...
