"""The translator interface: sentences (word lists) in one language -> word lists in another."""

from abc import ABC, abstractmethod
from collections.abc import Sequence

from xner.errors import ConfigError


class Translator(ABC):
    """Translates batches of word-tokenised sentences; output order follows the input order.

    ``markup``: the marker styles (:mod:`xner.project.markers`) the translator carries through
    :meth:`translate_texts`, preferred first; empty: it cannot carry markers.
    """

    markup: tuple[str, ...] = ()

    def check(self, src_lang: str, tgt_lang: str) -> None:  # noqa: B027 (optional hook)
        """Refuse a language pair or a model the translator cannot use, before any work runs."""

    @abstractmethod
    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]: ...

    def translate_texts(
        self, texts: Sequence[str], src_lang: str, tgt_lang: str, markup: str | None = None
    ) -> list[str]:
        """Raw strings in (with ``markup``-style markers), raw translations out (same order)."""
        raise ConfigError(f"{type(self).__name__} cannot translate marked text")
