"""Where a source's files live: a local folder, an https URL (downloaded once), or nowhere.

``data.root`` is turned into one :class:`Root` when a source is built (:func:`root_of`), and
the source reads, lists and checks its files through it, whatever kind of root it is.
"""

import hashlib
import logging
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from xner.errors import ConfigError, DataError
from xner.offline import offline, unreachable

log = logging.getLogger(__name__)

_HINT = "download it yourself and set data.root=/local/folder"


def default_cache_dir() -> Path:
    return Path(os.environ.get("XNER_CACHE", ".cache")) / "data"


def is_url(root: str | os.PathLike | None) -> bool:
    return isinstance(root, str) and root.startswith(("https://", "http://"))


def cached_copy(url: str, cache_dir: str | os.PathLike) -> Path:
    """Where :func:`fetch` keeps its copy of ``url`` (present or not)."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "file"
    return Path(cache_dir) / "downloads" / f"{digest}-{name}"


def _download(url: str, timeout: float) -> bytes:
    """The bytes at ``url``; a one-line error for a missing file or an unreachable host."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        raise DataError(
            f"{url}: HTTP {err.code} {err.reason} (no such file at this root?)"
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConfigError(
            f"cannot download {url} ({reason}) and it is not cached; {_HINT}"
        ) from None


def fetch(url: str, cache_dir: str | os.PathLike, timeout: float = 60.0) -> Path:
    """The local copy of ``url``, downloaded into ``cache_dir`` on first use (atomic write)."""
    target = cached_copy(url, cache_dir)
    if target.is_file():
        return target
    if offline():
        raise ConfigError(f"offline and {url} is not cached in {target.parent}; {_HINT}")
    payload = _download(url, timeout)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, target)
    log.info("downloaded %s to %s", url, target)
    return target


class Root:
    """A source's root: opens, lists and checks the files named relative to it."""

    def open(self, relative: str) -> Path | None:
        """A local file holding ``root/relative``, or None where the root lacks it."""
        raise NotImplementedError

    def has(self, relative: str) -> bool:
        """Whether ``root/relative`` can be read (a URL is assumed to have it)."""
        raise NotImplementedError

    def present(self, relative: str) -> bool:
        """Whether ``root/relative`` is a local file now, without downloading anything."""
        return False

    def has_folder(self, name: str) -> bool:
        """Whether the root is a local folder holding the folder ``name``."""
        return False

    def where(self, relative: str) -> str:
        """``root/relative`` as an error message names it."""
        return f"{self}/{relative}"

    def is_folder(self, relative: str) -> bool:
        """Whether ``root/relative`` is a local folder (where a file was expected)."""
        return False

    def absence(self, *relatives: str) -> str:
        """Why none of ``root/relative...`` can be read: the paths looked for, and what is there."""
        folder = next((r for r in relatives if self.is_folder(r)), None)
        if folder is not None:
            return f"{self.where(folder)} is a folder, not a file"
        return f"{' or '.join(self.where(r) for r in relatives)} does not exist"

    def check(self, name: str, key: str = "data") -> None:
        """Refuse a root that cannot be there (a local folder that does not exist)."""

    def unavailable(self, relative: str) -> str | None:
        """Why ``root/relative`` cannot be read offline, else None; reads no data."""
        return None


class NoRoot(Root):
    """``data.root`` is null: nothing to read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def open(self, relative: str) -> Path | None:
        raise ConfigError(f"data source {self.name} has no root; set data.root=/local/folder")

    def has(self, relative: str) -> bool:
        return False

    def __str__(self) -> str:
        return "None"


class LocalRoot(Root):
    """A local folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, relative: str) -> Path | None:
        path = self.path / relative
        return path if path.is_file() else None

    def has(self, relative: str) -> bool:
        return (self.path / relative).is_file()

    present = has

    def has_folder(self, name: str) -> bool:
        return (self.path / name).is_dir()

    def where(self, relative: str) -> str:
        return str(self.path / relative)

    def is_folder(self, relative: str) -> bool:
        return (self.path / relative).is_dir()

    def check(self, name: str, key: str = "data") -> None:
        if not self.path.is_dir():
            raise ConfigError(
                f"{name}: data folder {self.path} does not exist; set {key}.root=/local/folder"
            )

    def __str__(self) -> str:
        return str(self.path)


class UrlRoot(Root):
    """An https folder; each file is downloaded once into ``cache_dir`` and read from there."""

    def __init__(self, url: str, cache_dir: Path) -> None:
        self.url, self.cache_dir = url, cache_dir

    def _url(self, relative: str) -> str:
        return f"{self.url.rstrip('/')}/{relative}"

    def open(self, relative: str) -> Path | None:
        return fetch(self._url(relative), self.cache_dir)

    def has(self, relative: str) -> bool:
        return True

    def unavailable(self, relative: str) -> str | None:
        url = self._url(relative)
        if cached_copy(url, self.cache_dir).is_file():
            return None
        why = "offline" if offline() else unreachable(url)
        return f"{why} and {url} is not cached" if why else None

    def __str__(self) -> str:
        return self.url


def root_of(root: str | os.PathLike | None, name: str, cache_dir: Path) -> Root:
    """The :class:`Root` that ``data.root`` names: null, an http(s) URL, or a local folder."""
    if root is None:
        return NoRoot(name)
    if is_url(root):
        return UrlRoot(str(root), cache_dir)
    return LocalRoot(Path(root))


def check_root(root: str | os.PathLike | None, name: str, key: str = "data") -> None:
    """Refuse a local data folder that does not exist (a URL or no root is checked on use)."""
    root_of(root, name, default_cache_dir()).check(name, key)
