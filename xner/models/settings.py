"""The settings a model role and the trainer are built with, as the checked objects the
classifier, the distillation student, the data module and the Lightning trainer read.

``conf/model/_base.yaml`` holds every model setting (each model file states what differs) and
names :class:`ModelSettings` in its ``_target_``; ``conf/trainer/default.yaml`` names
:class:`TrainerSettings`. A new model setting is its line in ``_base.yaml`` and its field here;
the code that uses it reads ``settings.<name>``.
"""

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Annotated, Any, Literal, get_type_hints

from xner.config import META_KEYS
from xner.errors import ConfigError
from xner.options import Range, check_fields, check_value

# Trainer keys read by xner.models.trainer.build_trainer, not by Lightning's Trainer.
OWN_TRAINER_KEYS = ("patience", "progress_refresh_rate", "checkpoint_dir")
# Keys of a settings node that are not settings.
NOT_SETTINGS = ("_target_", *META_KEYS)


def check_keys(where: str, given: Iterable[str], known: Iterable[str], what: str = "") -> None:
    """Refuse the first key of ``given`` outside ``known``, naming it as a config path."""
    allowed = set(known) | set(NOT_SETTINGS)
    unknown = sorted(k for k in given if k not in allowed)
    if unknown:
        what = what or f"known: {', '.join(sorted(set(known)))}"
        raise ConfigError(f"{where}.{unknown[0]}: unknown key ({what})")


@dataclass(frozen=True)
class ModelSettings:
    """One model node: the checkpoint, the classifier's and data module's settings, the
    trainer's epoch hint and this role's own trainer overrides."""

    checkpoint: str
    source_checkpoint: str | None
    lr: float
    head_lr: float | None  # None: lr
    weight_decay: float
    warmup_ratio: Annotated[float, Range(0, 1)]
    batch_size: Annotated[int, Range(1)]
    eval_batch_size: Annotated[int, Range(1)] | None  # None: batch_size
    max_length: Annotated[int, Range(1)]
    stride: Annotated[int, Range(0)]
    decode: Literal["viterbi", "argmax"]
    max_epochs: int
    freeze_word_embeddings: bool
    freeze_layers: Annotated[int, Range(0)]
    freeze_embeddings: bool
    # a role's own Lightning overrides (+student.trainer.precision=...): absent from every
    # shipped model file, so the class is its one home
    trainer: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        check_fields(self, "model")

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]


class TrainerSettings:
    """Lightning Trainer arguments under their own names (``lightning``), plus xner's own
    (:data:`OWN_TRAINER_KEYS`): early-stopping patience on ``val/f1`` (None or 0: none), the
    progress bar's refresh rate and a folder for checkpoints (None: a temporary one)."""

    def __init__(
        self,
        *,
        patience: Annotated[int, Range(0)] | None,
        progress_refresh_rate: Annotated[int, Range(1)],
        checkpoint_dir: str | None = None,
        **lightning: Any,
    ) -> None:
        check_trainer_keys("trainer", lightning)
        self.patience = patience
        self.progress_refresh_rate = progress_refresh_rate
        self.checkpoint_dir = checkpoint_dir
        self.lightning = dict(lightning)
        hints = get_type_hints(TrainerSettings.__init__, include_extras=True)
        for key in OWN_TRAINER_KEYS:
            check_value(f"trainer.{key}", getattr(self, key), hints[key])

    @staticmethod
    def keys() -> list[str]:
        return [*lightning_arguments(), *OWN_TRAINER_KEYS]


def check_trainer_keys(where: str, given: Iterable[str]) -> None:
    what = f"not a Lightning Trainer argument nor one of {', '.join(OWN_TRAINER_KEYS)}"
    check_keys(where, given, TrainerSettings.keys(), what)


@cache
def lightning_arguments() -> tuple[str, ...]:
    import pytorch_lightning as pl

    params = inspect.signature(pl.Trainer.__init__).parameters
    return tuple(name for name in params if name != "self")
