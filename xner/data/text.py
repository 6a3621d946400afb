"""Plain text as files really hold it: any line ending, byte order marks, invisible characters.

Old Mac files end lines with CR alone, Windows files with CR LF, files converted twice with
CR CR LF; a concatenation of files carries a byte order mark (U+FEFF) at the start of a line
mid-file. Zero-width characters, no-break spaces and line separators look like nothing (or
like a space) on screen but make a different word or tag.
"""

import re
import unicodedata

BOM = "\ufeff"
_LINE_BREAK = re.compile(r"\r*\n|\r")  # CR CR LF is one break; a lone CR is one too
# control, format (zero-width, BOM, direction marks), space and line/paragraph separators
_INVISIBLE = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp"))


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, whatever mix of LF, CR LF and CR ends them."""
    return _LINE_BREAK.split(text)


def invisible(text: str) -> list[str]:
    """The characters of ``text`` that print as nothing or as a space, except space and tab."""
    return [ch for ch in text if ch not in " \t" and unicodedata.category(ch) in _INVISIBLE]


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and invisible characters as escapes
    (``\\x1b``, ``\\u202e``), so a stored value cannot move the cursor or recolour the screen."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def describe(chars: list[str]) -> str:
    """``U+200B ZERO WIDTH SPACE, U+00A0 NO-BREAK SPACE``: each distinct character once."""
    seen = dict.fromkeys(chars)
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}" for ch in seen)
