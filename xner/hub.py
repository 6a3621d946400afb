"""Loading pretrained checkpoints safely: hub availability before any work, no remote code.

Every ``from_pretrained`` call in xner passes ``trust_remote_code`` explicitly, taken from
:func:`model_options`: False unless a config sets ``trust_remote_code: true``, and then a
warning names the checkpoint whose own Python code will run. Weights load from safetensors
when a checkpoint has them; transformers reads ``.bin`` files with
``torch.load(weights_only=True)``, which refuses pickled objects other than tensors.

:func:`check_checkpoint` refuses, without loading anything, a local folder that does not
exist and a hub id that cannot be reached: offline (:func:`xner.offline.offline`, e.g.
``HF_HUB_OFFLINE=1``) or the hub not answering (:func:`xner.offline.unreachable`), and not
in the Hugging Face cache. Loaders call it when they are built,
so a sweep fails before it translates or aligns anything.
"""

import logging
import os
import pickle
from pathlib import Path
from typing import Any

from xner.errors import ConfigError
from xner.offline import hub_endpoint, offline, unreachable

log = logging.getLogger(__name__)


def _looks_like_path(name: str) -> bool:
    """A folder name rather than a hub id (``org/model`` has exactly one slash, no prefix)."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _cached_on_hub(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(name, "config.json")
    except ValueError:  # huggingface_hub's HFValidationError: not a valid repo id
        raise ConfigError(
            f"{name!r} is neither a local folder nor a valid Hugging Face model id"
        ) from None
    return isinstance(found, str)


def check_checkpoint(name: str | os.PathLike, option: str) -> str:
    """``name`` if it can be loaded without surprises; else a one-line ConfigError.

    ``option`` is the config key the user sets (``translator.model``), named in the message.
    """
    text = str(name)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{option}={text!r} is a file; point it at a model folder")
        return text
    if _looks_like_path(text):
        raise ConfigError(f"{option}={text!r}: no such model folder")
    if _cached_on_hub(text):
        return text
    why = "offline (HF_HUB_OFFLINE=1)" if offline() else unreachable(hub_endpoint())
    if why:
        raise ConfigError(
            f"{option}={text!r}: {why} and the model is not in the Hugging "
            f"Face cache; download it where there is network (`hf download {text}`) or set "
            f"{option}=/local/folder holding its config.json and weights"
        )
    return text


LOAD_ERRORS = (OSError, ValueError, pickle.UnpicklingError)


def load_error(err: BaseException, what: str, name: str | os.PathLike) -> ConfigError:
    """A one-line ConfigError for a failed ``from_pretrained`` (one of :data:`LOAD_ERRORS`)."""
    if isinstance(err, pickle.UnpicklingError):
        return ConfigError(
            f"{what} {str(name)!r}: its weights file holds pickled objects other than tensors; "
            "refused (torch.load weights_only=True). Use a safetensors checkpoint you trust"
        )
    text = str(err).strip()
    first_line = text.splitlines()[0] if text else type(err).__name__
    return ConfigError(f"cannot load {what} {str(name)!r}: {first_line}")


def model_options(name: str | os.PathLike, trust_remote_code: bool = False) -> dict[str, Any]:
    """Keyword arguments every ``from_pretrained`` call gets; warns when remote code is trusted."""
    trusted = trust_remote_code is True
    if trust_remote_code not in (True, False):
        raise ConfigError(f"trust_remote_code must be true or false, got {trust_remote_code!r}")
    if trusted:
        log.warning(
            "trust_remote_code=true: loading %s runs Python code shipped with the checkpoint; "
            "use it only for checkpoints you trust",
            name,
        )
    return {"trust_remote_code": trusted}
