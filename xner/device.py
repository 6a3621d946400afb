"""Which torch device a model runs on: one meaning of ``device: auto`` for every stage."""


def resolve_device(device: str) -> str:
    """``auto`` is CUDA when a GPU is visible, else the CPU; any other name is kept."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
