"""The one word tokenizer applied to every machine translation output.

Rules (Unicode-aware, via the ``regex`` module):

- text is NFC-normalised first, so combining diacritics (Yorùbá tone marks) stay on their letter;
- a *word* is a run of letters, combining marks, digits and underscores, optionally joined by
  an inner apostrophe or hyphen (``don't``, ``Jean-Luc``, ``ɗan'uwa`` stay one word);
- every other non-space character is a word by itself (``,`` ``.`` ``"`` ``[`` ``]``), so the
  ``[ ... ]`` entity markers of the back-translation always come out as separate words;
- Han, Hiragana and Katakana characters are split one per word (those scripts have no spaces;
  Thai is not segmented and stays one word per space-separated run).
"""

import unicodedata

import regex

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD_CHAR = rf"[\p{{L}}\p{{M}}\p{{N}}_--[{_CJK}]]"
_TOKEN = regex.compile(
    rf"[{_CJK}]|{_WORD_CHAR}+(?:['’\-]{_WORD_CHAR}+)*|[^\s]",
    regex.VERSION1,
)


def word_tokenize(text: str) -> list[str]:
    """Split one translated sentence into words (see the module docstring for the rules)."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))
