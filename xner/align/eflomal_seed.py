"""Running the eflomal binary, seeded: the same seed and text give the same links.

eflomal 2.0.0 has no seed option: each direction's sampler state is 8 bytes read from
``/dev/urandom`` (``random_system_state`` in its ``src/random.c``). A copy of the installed
binary, made once per binary in a cache folder, has that path replaced by the same-length
relative path :data:`SEED_FILE`; the binary then runs in a private folder holding that file,
written from the seed. Its samplers take their states from the seed state in the order their
OpenMP threads reach a critical section, which is a race when they run in parallel; so the
seeded binary runs with ``OMP_NUM_THREADS=2,1``: the two directions in parallel (each seeds
itself, no race), a direction's samplers in one thread. ``seed=None`` runs the binary as
installed (its full OpenMP parallelism and ``/dev/urandom``).
"""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import tempfile
from pathlib import Path

from xner.errors import ConfigError, DataError
from xner.paths import user_cache

URANDOM = b"/dev/urandom"
SEED_FILE = "xner.seed.in"  # as long as URANDOM: the patched binary stays byte-aligned
SEEDED_THREADS = "2,1"  # directions in parallel, each direction's samplers in order
NO_URANDOM_WARNING = "can not open /dev/urandom"  # eflomal's message when the seed file is gone


def installed_binary() -> Path:
    """The eflomal executable the ``eflomal`` package runs (its ``bin/eflomal``)."""
    import eflomal

    path = Path(eflomal.__file__).parent / "bin" / "eflomal"
    if not path.is_file():
        raise ConfigError(f"eflomal binary not found at {path}; reinstall eflomal")
    return path


def patched(binary: bytes, where: Path) -> bytes:
    """``binary`` reading :data:`SEED_FILE` where it read ``/dev/urandom``."""
    target = URANDOM + b"\0"
    found = binary.count(target)
    if found != 1:
        raise ConfigError(
            f"cannot seed the eflomal binary {where}: it holds {found} '/dev/urandom' paths, "
            "expected 1 (eflomal 2.0.0); set aligner.seed=null to run it unseeded"
        )
    return binary.replace(target, SEED_FILE.encode() + b"\0")


def cache_folder() -> Path:
    """Where seeded binaries are kept: ``$XDG_CACHE_HOME/xner/eflomal`` (``~/.cache`` default)."""
    return user_cache("eflomal")


def seeded_binary(folder: Path | None = None, binary: Path | None = None) -> Path:
    """The seeded copy of ``binary`` (default: the installed one) in ``folder`` (default:
    :func:`cache_folder`), named by the original's hash; made once, atomically."""
    binary = binary or installed_binary()
    data = binary.read_bytes()
    folder = folder or cache_folder()
    out = folder / f"eflomal-seeded-{hashlib.sha256(data).hexdigest()[:16]}"
    if out.is_file() and os.access(out, os.X_OK):
        return out
    body = patched(data, binary)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".eflomal-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def seed_state(seed: int, run: int = 0) -> bytes:
    """The 8 bytes eflomal reads as its sampler state, from ``seed`` and the run's index
    (never all zero: xorshift would stay at zero)."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"xner/eflomal/{seed}/{run}/{counter}".encode()).digest()
        if any(digest[:8]):
            return digest[:8]
        counter += 1


def iterations(n_sentences: int, model: int, rel_iterations: float) -> tuple[int, int, int]:
    """Iterations per model, as ``eflomal.cython.align`` computes them (eflomal 2.0.0)."""
    iters = max(2, int(round(rel_iterations * 5000 / math.sqrt(n_sentences))))
    iters4 = max(1, iters // 4)
    if model == 1:
        return iters, 0, 0
    if model == 2:
        return max(2, iters4), iters, 0
    return max(2, iters4), iters4, iters


def _arguments(
    source: str,
    target: str,
    model: int,
    n_samplers: int,
    null_prior: float,
    rel_iterations: float,
) -> list[str]:
    """eflomal's command-line options for the model and its iterations (which depend on the
    number of sentences, read from the index file ``source``)."""
    with open(source, "rb") as f:
        n_sentences = int(f.readline().split()[0])
    n_iters = iterations(max(n_sentences, 1), model, rel_iterations)
    args = ["-m", str(model), "-s", source, "-t", target]
    args += ["-n", str(n_samplers), "-N", str(null_prior), "-1", str(n_iters[0]), "-q"]
    if model >= 2:
        args += ["-2", str(n_iters[1])]
    if model >= 3:
        args += ["-3", str(n_iters[2])]
    return args


def run_eflomal(
    source: str,
    target: str,
    links_fwd: str,
    links_rev: str,
    model: int,
    n_samplers: int,
    rel_iterations: float,
    null_prior: float,
    priors: str | None = None,
    seed: int | None = None,
    run: int = 0,
) -> None:
    """Align the index files ``source`` and ``target`` (``eflomal.cython.write_text``) into
    ``links_fwd``/``links_rev``; seeded by (``seed``, ``run``) unless ``seed`` is None."""
    source, target, links_fwd, links_rev = map(
        os.path.abspath, (source, target, links_fwd, links_rev)
    )
    priors = os.path.abspath(priors) if priors else None
    args = _arguments(source, target, model, n_samplers, null_prior, rel_iterations)
    args += ["-f", links_fwd, "-r", links_rev]
    if priors:
        args += ["-p", priors]
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="xner-eflomal-") as here:
        binary = installed_binary()
        if seed is not None:
            binary = _seeded_binary_or_private(Path(here))
            Path(here, SEED_FILE).write_bytes(seed_state(seed, run))
            env["OMP_NUM_THREADS"] = SEEDED_THREADS
        done = subprocess.run(
            [str(binary), *args], cwd=here, env=env, capture_output=True, text=True
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise DataError(f"eflomal failed (exit {done.returncode}): {last}")
    if seed is not None and NO_URANDOM_WARNING in done.stderr:
        raise DataError("eflomal could not read its seed file; the alignment was not seeded")


def _seeded_binary_or_private(here: Path) -> Path:
    """The cached seeded binary; a private copy in ``here`` when the cache cannot be written."""
    try:
        return seeded_binary()
    except OSError:
        return seeded_binary(here)
