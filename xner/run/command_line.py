"""The overrides of a command line, parsed once the way Hydra parses them."""

from collections.abc import Sequence
from typing import Any


def override_words(argv: Sequence[str]) -> list[str]:
    """The ``key=value`` words of a command line (options such as ``-m`` left out)."""
    return [a for a in argv if not a.startswith("-") and "=" in a]


def parsed_overrides(words: Sequence[str]) -> list[Any] | None:
    """Hydra's parse of ``words``; None when Hydra cannot parse them (it reports that itself)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(words))
    except HydraException:
        return None
