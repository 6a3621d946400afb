"""Translation guards: an empty translation of a non-empty sentence is found, a runaway one
(longer than ``max_ratio`` x the input's words + ``slack``: NMT repetition loops) is cut."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from xner.errors import DataError

log = logging.getLogger(__name__)
MAX_LENGTH_RATIO = 3.0  # a translation may have this many words per input word ...
LENGTH_SLACK = 10  # ... plus this many, before it counts as runaway and is cut
SHOWN = 5  # sentence indices named in a warning


@dataclass
class TranslationCheck:
    """Translations after the checks, and which sentences were empty or cut."""

    translations: list[list[str]]
    empty: list[int]
    truncated: list[int]


def length_limit(n_words: int, max_ratio: float | None, slack: int) -> int | None:
    """Most words a translation of ``n_words`` words may have (None: no limit)."""
    if not max_ratio:
        return None
    return int(max_ratio * n_words) + slack


def guard_translations(
    sources: Sequence[Sequence[str]],
    translations: Sequence[Sequence[str]],
    max_ratio: float | None = MAX_LENGTH_RATIO,
    slack: int = LENGTH_SLACK,
) -> TranslationCheck:
    """Find empty translations of non-empty sentences and cut runaway ones to the limit."""
    if len(sources) != len(translations):
        raise DataError(
            f"translator returned {len(translations)} translations for {len(sources)} sentences"
        )
    out, empty, truncated = [], [], []
    for i, (src, words) in enumerate(zip(sources, translations, strict=True)):
        words = list(words)
        limit = length_limit(len(src), max_ratio, slack)
        if src and not words:
            empty.append(i)
        elif limit is not None and len(words) > limit:
            words = words[:limit]
            truncated.append(i)
        out.append(words)
    return TranslationCheck(out, empty, truncated)


def _shown(indices: Sequence[int]) -> str:
    more = f" and {len(indices) - SHOWN} more" if len(indices) > SHOWN else ""
    return ", ".join(map(str, indices[:SHOWN])) + more


def shown(indices: Sequence[int]) -> str:
    """The first few sentence indices, for a warning that names them."""
    more = f" and {len(indices) - SHOWN} more" if len(indices) > SHOWN else ""
    return ", ".join(map(str, indices[:SHOWN])) + more


def warn(
    check: TranslationCheck, n: int, max_ratio: float | None, slack: int, consequence: str
) -> None:
    """Log the empty and the cut translations of ``n`` sentences, naming them."""
    if check.empty:
        log.warning(
            "%d of %d translations came back empty (sentences %s): %s",
            len(check.empty),
            n,
            shown(check.empty),
            consequence,
        )
    if check.truncated:
        log.warning(
            "%d translations are longer than %s x the input + %d words and were cut (sentences %s)",
            len(check.truncated),
            max_ratio,
            slack,
            shown(check.truncated),
        )
