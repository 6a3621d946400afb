"""Whether xner may use the network: one answer for data downloads and the model hub alike.

Any of ``XNER_OFFLINE``, ``HF_HUB_OFFLINE``, ``HF_DATASETS_OFFLINE`` and ``TRANSFORMERS_OFFLINE``
set to ``1``, ``true``, ``yes`` or ``on`` (as Hugging Face reads them) means offline: no corpus
is downloaded and no checkpoint is fetched that is not already cached.

Without a variable set, a download that is needed (nothing cached) first checks that its host
answers (:func:`unreachable`: name lookup and a TCP connection, a few seconds at most, once per
host and process), so that no network behaves like offline: refused before any run starts.
"""

import functools
import os
import socket
import urllib.parse
import urllib.request

OFFLINE_VARIABLES = (
    "XNER_OFFLINE",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
)
_TRUE = ("1", "true", "yes", "on")
PROBE_TIMEOUT_S = 3.0


def offline() -> bool:
    """True when nothing may be downloaded, so that a missing file fails at once, by name."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in OFFLINE_VARIABLES)


def hub_endpoint() -> str:
    """The Hugging Face hub's address (``HF_ENDPOINT``, as ``huggingface_hub`` reads it)."""
    return os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"


def unreachable(url: str) -> str | None:
    """Why ``url``'s host (or the proxy that reaches it) does not answer now, else None."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return _probe(parts.hostname or "", port)


@functools.cache
def _probe(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return None
    except OSError as err:
        return f"no network: {host}:{port} cannot be reached ({err})"
