"""Which torch device a model runs on, and in which precision: one meaning of ``auto`` each."""

import functools
import logging

log = logging.getLogger(__name__)


def resolve_device(device: str) -> str:
    """``auto`` is CUDA when a GPU is visible, else the CPU; any other name is kept."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # CPU instructions that make bf16 autocast pay


@functools.cache
def cpu_bf16_flags(cpuinfo: str = "/proc/cpuinfo") -> tuple[str, ...]:
    """The bf16 instruction sets this CPU advertises (Linux ``/proc/cpuinfo``; none elsewhere)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            flags = next(
                (line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []
            )
    except OSError:
        return ()
    return tuple(flag for flag in BF16_FLAGS if flag in flags)


def resolve_precision(precision: str, accelerator: str = "auto") -> str:
    """``auto``: bf16-mixed on a CPU with bf16 instructions, 32-true elsewhere (GPUs included);
    any other value is kept. The choice is logged once per process."""
    if str(precision) != "auto":
        return str(precision)
    on_cpu = (
        accelerator == "cpu" or resolve_device(str(accelerator).replace("gpu", "cuda")) == "cpu"
    )
    flags = cpu_bf16_flags() if on_cpu else ()
    chosen = "bf16-mixed" if flags else "32-true"
    _say_once(chosen, on_cpu, flags)
    return chosen


@functools.cache
def _say_once(chosen: str, on_cpu: bool, flags: tuple[str, ...]) -> None:
    if not on_cpu:
        log.info("trainer.precision=auto: 32-true on the GPU (set bf16-mixed to change it)")
    elif flags:
        log.info("trainer.precision=auto: bf16-mixed (this CPU has %s)", ", ".join(flags))
    else:
        log.info("trainer.precision=auto: 32-true (this CPU has no bf16 instructions)")
