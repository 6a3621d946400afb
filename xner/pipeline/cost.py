"""What a stage cost: wall and CPU seconds, peak resident memory, GPU seconds and memory.

CPU seconds are this process's (all threads) plus its waited-for children's (the eflomal
binary). Peak resident memory is the stage's own on Linux (the high-water mark is reset with
``/proc/self/clear_refs`` before it starts), else the process's peak so far. On CUDA, GPU
seconds are the stage's wall seconds and peak GPU memory is torch's
``max_memory_allocated``, reset before the stage.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

FIELDS = ("wall_s", "cpu_s", "peak_rss_mb", "gpu_s", "peak_gpu_mb")
PEAKS = ("peak_rss_mb", "peak_gpu_mb")  # combined by max, the others by sum


@dataclass(frozen=True)
class Cost:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    gpu_s: float = 0.0
    peak_gpu_mb: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        """Two stages one after the other: seconds add up, peaks do not."""
        return Cost(
            **{
                f.name: (max if f.name in PEAKS else sum)(
                    (getattr(self, f.name), getattr(other, f.name))
                )
                for f in fields(self)
            }
        )

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, value: Mapping[str, object]) -> Cost:
        """A stored cost; unknown keys are ignored, missing ones are 0."""
        return cls(**{k: float(value[k]) for k in FIELDS if isinstance(value.get(k), int | float)})


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _cuda():
    """torch.cuda when torch is already imported and CUDA is initialised, else None."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    return torch.cuda


_OPEN: list[float] = []  # per open measurement (outermost first): the peak its inner ones saw


@contextmanager
def measuring() -> Iterator[list[Cost]]:
    """Measure the block; the list it yields holds its :class:`Cost` once the block ends.

    Measurements nest (a job around its stages): the peak memory an inner one resets away is
    handed to the ones around it."""
    result: list[Cost] = []
    if _OPEN:
        _OPEN[-1] = max(_OPEN[-1], _peak_rss_mb())
    _OPEN.append(0.0)
    _reset_peak_rss()
    cuda = _cuda()
    if cuda is not None:
        cuda.reset_peak_memory_stats()
    wall, cpu = time.perf_counter(), _cpu_seconds()
    try:
        yield result
    finally:
        wall = time.perf_counter() - wall
        cuda = cuda or _cuda()  # a stage that started CUDA itself
        gpu_mb = cuda.max_memory_allocated() / 2**20 if cuda is not None else 0.0
        peak = max(_OPEN.pop(), _peak_rss_mb())
        if _OPEN:
            _OPEN[-1] = max(_OPEN[-1], peak)
        result.append(
            Cost(
                wall_s=wall,
                cpu_s=_cpu_seconds() - cpu,
                peak_rss_mb=peak,
                gpu_s=wall if gpu_mb > 0 else 0.0,
                peak_gpu_mb=gpu_mb,
            )
        )
