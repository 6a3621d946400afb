"""Where the project lives on disk, and refusal of names that could escape their folders."""

import re
from pathlib import Path

from xner.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def safe_name(value: str, what: str) -> str:
    """Refuse a name used in a path (language code, dataset, stage) that could leave its folder."""
    text = str(value)
    if not _SAFE_NAME.match(text) or ".." in text:
        raise ConfigError(
            f"{what} {text!r} is not a safe name: use letters, digits, '_', '-' and '.' only "
            "(no path separators, no '..')"
        )
    return text
