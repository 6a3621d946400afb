"""Where the project lives on disk, and refusal of names that could escape their folders."""

import os
import re
from pathlib import Path

from xner.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = PROJECT_ROOT / "conf"  # the shipped config groups
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def is_safe_name(value: object) -> bool:
    """A plain name (letters, digits, '_', '-', '.'; no '..') that cannot leave its folder."""
    return isinstance(value, str) and bool(_SAFE_NAME.fullmatch(value)) and ".." not in value


def safe_name(value: str, what: str) -> str:
    """Refuse a name used in a path (language code, dataset, stage) that could leave its folder."""
    text = str(value)
    if not is_safe_name(text):
        raise ConfigError(
            f"{what} {text!r} is not a safe name: use letters, digits, '_', '-' and '.' only "
            "(no path separators, no '..')"
        )
    return text


def user_cache(name: str) -> Path:
    """A folder of this user's cache that outlives projects: ``$XDG_CACHE_HOME/xner/<name>``
    (``~/.cache`` when the variable is unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "xner" / name
