"""Translators: word-tokenised sentences in one language -> word lists in another."""

from xner.data.wordtok import word_tokenize
from xner.translate.apertium import ApertiumTranslator
from xner.translate.base import Translator
from xner.translate.hf import HFTranslator
from xner.translate.lexicon import LexiconTranslator
from xner.translate.reference import ReferenceTranslator, SyntheticMTTranslator

__all__ = [
    "ApertiumTranslator",
    "HFTranslator",
    "LexiconTranslator",
    "ReferenceTranslator",
    "SyntheticMTTranslator",
    "Translator",
    "word_tokenize",
]
