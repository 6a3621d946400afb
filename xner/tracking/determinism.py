"""Which parts of a job a cold rerun with the same seed would not repeat, from its config.

The run's seed fixes data order, initialisation, dropout and the eflomal samplers
(``aligner.seed``); on CPU the same command then gives the same numbers. What stays free:
an eflomal aligner with ``seed: null`` (``/dev/urandom``), and GPU kernels (training, and the
neural translator, aligner or labeller of a projection method): cuBLAS/cuDNN reductions run in
an order that varies between runs. The list goes to the run's ``xner.nondeterministic`` tag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xner.method_kind import MethodKind

GPU_DEVICES = ("cuda", "gpu")
PROJECTION_GROUPS = ("translator", "labeler", "aligner")  # groups that take a `device`


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def on_gpu(device: Any, cuda_available: Callable[[], bool] = _cuda_available) -> bool:
    """Whether a ``device``/``accelerator`` setting runs on a GPU (``auto``: when one is there)."""
    text = str(device or "").lower()
    if text == "auto":
        return cuda_available()
    return text.startswith(GPU_DEVICES)


def nondeterministic_parts(
    resolved: Mapping[str, Any],
    kind: MethodKind,
    cuda_available: Callable[[], bool] = _cuda_available,
) -> list[str]:
    """The parts of the job ``resolved`` (a resolved config) whose results a cold rerun with
    the same seed may change; empty when the job is repeatable. The translator, aligner and
    labeller count only for a method that runs a projection pipeline (its ``kind``)."""
    parts = []
    trainer = resolved.get("trainer") or {}
    if trainer and on_gpu(trainer.get("accelerator"), cuda_available):
        parts.append("training on GPU")
    if not kind.pipelines:
        return parts
    markers = str((resolved.get("projector") or {}).get("_target_", "")).endswith("MarkerProjector")
    for group in PROJECTION_GROUPS:
        node = resolved.get(group) or {}
        if not node or (group == "aligner" and markers):
            continue
        if "device" in node and on_gpu(node["device"], cuda_available):
            parts.append(f"{group} on GPU")
        if str(node.get("_target_", "")).endswith("EflomalAligner") and node.get("seed") is None:
            parts.append("aligner unseeded (aligner.seed=null)")
    return parts
