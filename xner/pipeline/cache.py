"""Stage cache: each pipeline stage's output stored under a key hashed from its inputs.

key = sha256 of the canonical JSON of {stage, config, inputs, code}; ``inputs`` holds the keys
of the stages it reads and a fingerprint of the data (:func:`fingerprint`); ``code`` is the
fingerprint of the code that computes the stage (:mod:`xner.pipeline.code_fingerprint`): the classes
its config's ``_target_`` values name plus the roots the caller passes as ``code``, and the
versions of the libraries they import. An entry is a folder
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xner.errors import ConfigError, DataError
from xner.pipeline.code_fingerprint import CodeBase, StageCode, default_codebase, root_name, targets
from xner.pipeline.cost import Cost, measuring

log = logging.getLogger(__name__)
_STAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_KEY = re.compile(r"[0-9a-f]{64}")
_LOCK = re.compile(r"\.[0-9a-f]{64}\.lock")
_ARRAY = "__ndarray__"
VALUE_FILE = "value.json"
COST_FILE = "cost.json"  # what computing the entry cost, for the jobs that reuse it
Root = str | Callable[..., Any] | type  # code of a stage: "module", "module:qualname" or the object


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
    """get_or_compute(stage, config, inputs, compute) -> (value, key); see the module docstring.

    ``code`` (a :class:`~xner.pipeline.code_fingerprint.CodeBase`) reads the stage code; by
    default the installed package, fingerprinted once per process. ``used_code`` collects, per
    stage, the code every key of this cache was made with (logged with the run).
    """

    def __init__(
        self,
        dir: str | os.PathLike = ".cache/stages",
        enabled: bool = True,
        code: CodeBase | None = None,
    ) -> None:
        self.dir = Path(dir)
        self.enabled = enabled
        self.stats: Counter[str] = Counter()
        self.codebase = code or default_codebase()
        self.used_code: dict[str, dict[str, dict[str, str]]] = {}
        self.costs: list[tuple[str, Cost, bool]] = []  # (stage, cost, reused) per lookup

    def stage_code(
        self, stage: str, config: Mapping[str, Any] | None, code: Iterable[Root] = ()
    ) -> StageCode:
        """The code fingerprint of a stage: its config's ``_target_`` classes and ``code``."""
        plain = json.loads(canonical_json(config or {}))
        roots = [root_name(r) for r in code]
        roots += [self.codebase.target_root(t) for t in targets(plain)]
        try:
            found = self.codebase.fingerprint(roots)
        except KeyError as err:
            raise ConfigError(f"stage {stage!r}: cannot read its code: {err.args[0]}") from None
        record = self.used_code.setdefault(stage, {"parts": {}, "libraries": {}})
        record["parts"].update(found.parts)
        record["libraries"].update(found.libraries)
        return found

    def _key(
        self,
        stage: str,
        config: Mapping[str, Any] | None,
        inputs: Sequence[str],
        code: Iterable[Root],
    ) -> tuple[str, str]:
        check_stage(stage)
        digest = self.stage_code(stage, config, code).digest
        payload = {"stage": stage, "config": config or {}, "inputs": list(inputs), "code": digest}
        return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest(), digest

    def key(
        self,
        stage: str,
        config: Mapping[str, Any] | None,
        inputs: Sequence[str],
        code: Iterable[Root] = (),
    ) -> str:
        """The entry's key: stage, config, input keys and the code fingerprint, hashed."""
        return self._key(stage, config, inputs, code)[0]

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
        code: Iterable[Root] = (),
    ) -> tuple[Any, str]:
        """The cached value of a stage, computing and storing it on a miss.

        ``encode`` turns the computed value into JSON-able data (lists, dicts, strings,
        numbers, numpy arrays); ``decode`` turns stored data back into the value. ``code``
        names the functions that compute it beyond the config's ``_target_`` classes.
        """
        key, digest = self._key(stage, config, inputs, code)
        if self._lookup(stage, key, digest):
            value = decode(self.load(stage, key))
            self._reused(stage, self.path(stage, key))
            return value, key
        with measuring() as cost:
            value = compute()
        self.costs.append((stage, cost[0], False))
        if self.enabled:
            folder = self.store(stage, key, encode(value))
            _write_cost(folder, cost[0])
        return value, key

    def get_or_build_folder(
        self,
        stage: str,
        config: Mapping[str, Any] | None,
        inputs: Sequence[str],
        build_into: Callable[[Path], None],
        code: Iterable[Root] = (),
    ) -> tuple[Path, str]:
        """A cached folder (e.g. a trained model), built once even when parallel jobs ask for it.

        ``build_into`` fills a temporary folder, which is renamed into place under a lock.
        """
        import fcntl

        key, digest = self._key(stage, config, inputs, code)
        final = self.path(stage, key)
        if self.enabled and self.contains(stage, key):
            self._lookup(stage, key, digest)
            self._reused(stage, final)
            return final, key
        final.parent.mkdir(parents=True, exist_ok=True)
        with open(final.parent / f".{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._lookup(stage, key, digest):
                self._reused(stage, final)
                return final, key
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:16]}-", dir=final.parent))
            try:
                with measuring() as cost:
                    build_into(tmp)
                self.costs.append((stage, cost[0], False))
                _write_cost(tmp, cost[0])
                (tmp / VALUE_FILE).write_text(json.dumps({"stage": stage}))
                if final.exists():
                    shutil.rmtree(final)
                tmp.rename(final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return final, key

    def _reused(self, stage: str, folder: Path) -> None:
        """A hit costs what computing the entry cost (0 for entries written before costs)."""
        try:
            stored = json.loads((folder / COST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        cost = Cost.from_dict(stored) if isinstance(stored, dict) else Cost()
        self.costs.append((stage, cost, True))

    def _lookup(self, stage: str, key: str, code: str) -> bool:
        """Whether the entry is there (and may be used), counting and logging the hit or miss
        with the code fingerprint the key was made with."""
        hit = self.enabled and self.contains(stage, key)
        outcome = "hits" if hit else "misses"
        self.stats[outcome] += 1
        self.stats[f"{stage}.{outcome}"] += 1
        log.info("cache %s: %s %s (code %s)", "hit" if hit else "miss", stage, key[:12], code[:12])
        return hit

    # -- housekeeping --------------------------------------------------------------------------

    def _items(self, stage: str) -> tuple[list[Path], list[Path]]:
        """(entry folders, leftovers: temporary folders and lock files) of one stage."""
        folder = self.dir / check_stage(stage)
        entries, leftovers = [], []
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if _KEY.fullmatch(path.name) and path.is_dir():
                entries.append(path)
            elif path.name.startswith(".tmp-") or _LOCK.fullmatch(path.name):
                leftovers.append(path)
        return entries, leftovers

    def stages(self) -> list[str]:
        """Stages with entries or leftovers; other folders under ``dir`` (downloads) are not."""
        if not self.dir.is_dir():
            return []
        names = [p.name for p in self.dir.iterdir() if p.is_dir() and _STAGE.fullmatch(p.name)]
        return sorted(name for name in names if any(self._items(name)))

    def size(self) -> dict[str, tuple[int, int]]:
        """stage -> (number of entries, bytes on disk, leftovers included)."""
        out = {}
        for stage in self.stages():
            entries, leftovers = self._items(stage)
            out[stage] = (len(entries), sum(_bytes(p) for p in [*entries, *leftovers]))
        return out

    def clear(self, stages: Iterable[str] | None = None) -> tuple[int, int]:
        """Drop every entry (and leftover) of ``stages`` (default: all); (entries, bytes) freed.

        Each entry is first renamed to a temporary name, so a reader sees it whole or not at all.
        """
        n_entries = n_bytes = 0
        for stage in self.stages() if stages is None else [check_stage(s) for s in stages]:
            entries, leftovers = self._items(stage)
            for path in [*entries, *leftovers]:
                n_bytes += _bytes(path)
                if path.is_dir():
                    doomed = path.with_name(f".tmp-clear-{uuid.uuid4().hex}")
                    path.rename(doomed)
                    shutil.rmtree(doomed, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            n_entries += len(entries)
            folder = self.dir / stage
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        log.info("cache cleared: %d entries, %s", n_entries, human_bytes(n_bytes))
        return n_entries, n_bytes

    def describe(self) -> str:
        """One line: where the cache is, how many entries and bytes, per stage."""
        sizes = self.size()
        total = sum(n for n, _ in sizes.values()), sum(b for _, b in sizes.values())
        per_stage = ", ".join(f"{s} {n} / {human_bytes(b)}" for s, (n, b) in sizes.items())
        return f"stage cache {self.dir}: {total[0]} entries, {human_bytes(total[1])}" + (
            f" ({per_stage})" if per_stage else ""
        )


def _write_cost(folder: Path, cost: Cost) -> None:
    try:
        (folder / COST_FILE).write_text(json.dumps(cost.as_dict()), encoding="utf-8")
    except OSError as err:  # the value is stored; only its cost is lost
        log.warning("could not record the cost of cache entry %s: %s", folder, err)


def _bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed meanwhile
                continue
    return total


def human_bytes(n: int) -> str:
    """1536 -> '1.5 kB' (powers of 1000, as ``du --si``)."""
    size, unit = float(n), "B"
    for bigger in ("kB", "MB", "GB"):
        if size < 1000:
            break
        size, unit = size / 1000, bigger
    return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
