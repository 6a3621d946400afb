"""Whether xner may use the network: one answer for data downloads and the model hub alike.

Any of ``XNER_OFFLINE``, ``HF_HUB_OFFLINE``, ``HF_DATASETS_OFFLINE`` and ``TRANSFORMERS_OFFLINE``
set to ``1``, ``true``, ``yes`` or ``on`` (as Hugging Face reads them) means offline: no corpus
is downloaded and no checkpoint is fetched that is not already cached.
"""

import os

OFFLINE_VARIABLES = (
    "XNER_OFFLINE",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
)
_TRUE = ("1", "true", "yes", "on")


def offline() -> bool:
    """True when nothing may be downloaded, so that a missing file fails at once, by name."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in OFFLINE_VARIABLES)
