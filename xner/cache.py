"""Stage cache: each pipeline stage's output stored under a key hashed from its inputs.

key = sha256 of the canonical JSON of {stage, config, inputs}; ``inputs`` holds the keys of
the stages it reads and a fingerprint of the data (:func:`fingerprint`). An entry is a folder
``<dir>/<stage>/<key>/`` holding ``value.json`` and one ``.npy`` file per array (saved and
loaded with ``allow_pickle=False``). It is written into a temporary folder beside it and
renamed into place, so a killed job leaves only a ``.tmp-*`` folder that no reader looks at;
when two jobs write the same key, the first rename wins and the second discards its copy.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xner.errors import ConfigError, DataError

log = logging.getLogger(__name__)
_STAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_KEY = re.compile(r"[0-9a-f]{64}")
_ARRAY = "__ndarray__"
VALUE_FILE = "value.json"


def _plain(value: Any) -> Any:
    """Resolved plain containers for OmegaConf nodes, so configs hash by content."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover
        return value
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def canonical_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        plain = _plain(obj)
        if plain is not obj:
            return plain
        if isinstance(obj, Mapping):
            return dict(obj)
        if isinstance(obj, tuple | set | frozenset):
            return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
        if isinstance(obj, os.PathLike):
            return os.fspath(obj)
        if isinstance(obj, np.generic):
            return obj.item()
        raise ConfigError(f"cannot hash a {type(obj).__name__} in a stage config: {obj!r}"[:200])

    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )


def fingerprint(sentences: Sequence[Any]) -> str:
    """sha256 of the data: TaggedSentence objects (words and tags) or plain word lists."""
    rows = [[list(s.words), list(s.tags)] if hasattr(s, "words") else [list(s)] for s in sentences]
    return hashlib.sha256(canonical_json(rows).encode("utf-8")).hexdigest()


def check_stage(stage: str) -> str:
    if not isinstance(stage, str) or not _STAGE.fullmatch(stage):
        raise ConfigError(
            f"invalid cache stage name {stage!r}: use letters, digits, '_' and '-' only"
        )
    return stage


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ConfigError(f"invalid cache key {key!r}: expected 64 lowercase hex digits")
    return key


def _split_arrays(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise DataError("stage cache: arrays of Python objects cannot be stored")
        arrays.append(value)
        return {_ARRAY: len(arrays) - 1}
    if isinstance(value, Mapping):
        return {str(k): _split_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_split_arrays(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join_arrays(value: Any, folder: Path) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return np.load(folder / f"{int(value[_ARRAY])}.npy", allow_pickle=False)
        return {k: _join_arrays(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, folder) for v in value]
    return value


class StageCache:
    """get_or_compute(stage, config, inputs, compute) -> (value, key); see the module docstring."""

    def __init__(self, dir: str | os.PathLike = ".cache/stages", enabled: bool = True) -> None:
        self.dir = Path(dir)
        self.enabled = enabled
        self.stats: Counter[str] = Counter()

    def key(self, stage: str, config: Mapping[str, Any] | None, inputs: Sequence[str]) -> str:
        check_stage(stage)
        payload = {"stage": stage, "config": config or {}, "inputs": list(inputs)}
        return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()

    def path(self, stage: str, key: str) -> Path:
        return self.dir / check_stage(stage) / check_key(key)

    def contains(self, stage: str, key: str) -> bool:
        return (self.path(stage, key) / VALUE_FILE).is_file()

    def load(self, stage: str, key: str) -> Any:
        folder = self.path(stage, key)
        with open(folder / VALUE_FILE, encoding="utf-8") as f:
            return _join_arrays(json.load(f), folder)

    def store(self, stage: str, key: str, value: Any) -> Path:
        """Write one entry atomically; a concurrent writer of the same key is harmless."""
        final = self.path(stage, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        arrays: list[np.ndarray] = []
        plain = _split_arrays(value, arrays)
        tmp = Path(
            tempfile.mkdtemp(prefix=f".tmp-{key[:16]}-{uuid.uuid4().hex[:8]}-", dir=final.parent)
        )
        try:
            for i, array in enumerate(arrays):
                np.save(tmp / f"{i}.npy", array, allow_pickle=False)
            with open(tmp / VALUE_FILE, "w", encoding="utf-8") as f:
                json.dump(plain, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / VALUE_FILE).is_file():
                    raise
                log.debug("cache %s/%s written by another job first", stage, key[:12])
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_compute(
        self,
        stage: str,
        config: Mapping[str, Any] | None,
        inputs: Sequence[str],
        compute: Callable[[], Any],
        encode: Callable[[Any], Any] = lambda v: v,
        decode: Callable[[Any], Any] = lambda v: v,
    ) -> tuple[Any, str]:
        """The cached value of a stage, computing and storing it on a miss.

        ``encode`` turns the computed value into JSON-able data (lists, dicts, strings,
        numbers, numpy arrays); ``decode`` turns stored data back into the value.
        """
        key = self.key(stage, config, inputs)
        if self._lookup(stage, key):
            return decode(self.load(stage, key)), key
        value = compute()
        if self.enabled:
            self.store(stage, key, encode(value))
        return value, key

    def get_or_build_folder(
        self,
        stage: str,
        config: Mapping[str, Any] | None,
        inputs: Sequence[str],
        build_into: Callable[[Path], None],
    ) -> tuple[Path, str]:
        """A cached folder (e.g. a trained model), built once even when parallel jobs ask for it.

        ``build_into`` fills a temporary folder, which is renamed into place under a lock.
        """
        import fcntl

        key = self.key(stage, config, inputs)
        final = self.path(stage, key)
        if self.enabled and self.contains(stage, key):
            self._lookup(stage, key)
            return final, key
        final.parent.mkdir(parents=True, exist_ok=True)
        with open(final.parent / f".{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._lookup(stage, key):
                return final, key
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:16]}-", dir=final.parent))
            try:
                build_into(tmp)
                (tmp / VALUE_FILE).write_text(json.dumps({"stage": stage}))
                if final.exists():
                    shutil.rmtree(final)
                tmp.rename(final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return final, key

    def _lookup(self, stage: str, key: str) -> bool:
        """Whether the entry is there (and may be used), counting and logging the hit or miss."""
        hit = self.enabled and self.contains(stage, key)
        outcome = "hits" if hit else "misses"
        self.stats[outcome] += 1
        self.stats[f"{stage}.{outcome}"] += 1
        log.info("cache %s: %s %s", "hit" if hit else "miss", stage, key[:12])
        return hit
