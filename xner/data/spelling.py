"""How a word is spelt, across scripts and diacritics: the character n-grams that the projector's
string similarity and eflomal's orthographic priors compare (one definition for both stages)."""

import unicodedata
from functools import lru_cache

# One Latin spelling per Greek / Cyrillic letter (after lowercasing and stripping diacritics);
# simple and lossy, enough for names to share character n-grams across scripts.
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        "a,b,g,d,e,z,i,th,i,k,l,m,n,x,o,p,r,s,s,t,y,f,ch,ps,o".split(","),
        strict=True,
    )
)
_CYRILLIC = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъыьэюяёєіїґў",
        "a,b,v,g,d,e,zh,z,i,i,k,l,m,n,o,p,r,s,t,u,f,h,ts,ch,sh,sht,a,y,,e,yu,ya,e,ye,i,yi,g,u".split(
            ","
        ),
        strict=True,
    )
)
_TRANSLIT = {**_GREEK, **_CYRILLIC}


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lowercase, strip diacritics, transliterate Greek/Cyrillic, keep letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        ch = _TRANSLIT.get(ch, ch)
        out.append("".join(c for c in ch if c.isalnum()))
    return "".join(out)


@lru_cache(maxsize=65536)
def char_ngrams(word: str, n: int = 3) -> frozenset[str]:
    """Character n-grams of the folded word, padded with one space on each side."""
    folded = fold(word)
    if not folded:
        return frozenset()
    padded = f" {folded} "
    if len(padded) <= n:
        return frozenset([padded])
    return frozenset(padded[k : k + n] for k in range(len(padded) - n + 1))
