"""The `model` and `trainer` config groups as settings objects: an unknown key is an error.

Each group file names its class in `_target_` (``conf/model/*.yaml``: :class:`ModelSettings`,
``conf/trainer/*.yaml``: :class:`TrainerSettings`). The plain resolved nodes stay what the
classifier, the data module and the Lightning trainer read; these classes check their keys.
"""

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.config import META_KEYS, build, group_config
from xner.errors import ConfigError
from xner.options import one_of

# Model nodes a job may train or load: `model` (the source model of every method) and the two
# roles of teacher-student learning, which follow `model` unless chosen (conf/model/same.yaml).
ROLES = ("model", "teacher", "student")
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
    weight_decay: float
    warmup_ratio: float
    batch_size: int
    eval_batch_size: int | None
    max_length: int
    stride: int
    decode: str
    max_epochs: int
    freeze_layers: int
    freeze_embeddings: bool
    # a role's own Lightning overrides (+student.trainer.precision=...): absent from every
    # shipped model file, so the class is its one home
    trainer: Mapping[str, Any] | None = None

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]


class TrainerSettings:
    """Lightning Trainer arguments under their own names, plus :data:`OWN_TRAINER_KEYS`."""

    def __init__(self, **arguments: Any) -> None:
        check_trainer_keys("trainer", arguments)
        self.arguments = arguments

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


def model_node(cfg: DictConfig, role: str = "model") -> DictConfig:
    """The config node of a model role, its keys checked."""
    one_of("model role", role, ROLES, error=ValueError)
    node = cfg[role]
    check_keys(role, node.keys(), ModelSettings.keys())
    check_trainer_keys(f"{role}.trainer", (node.get("trainer") or {}).keys())
    return node


def model_config(cfg: DictConfig, role: str = "model") -> dict:
    """The plain resolved node of a model role (its cache key and the models' settings)."""
    return group_config(model_node(cfg, role))


def model_settings(cfg: DictConfig, role: str = "model") -> ModelSettings:
    """A model role instantiated from its `_target_` (after the key check)."""
    return build(model_node(cfg, role))


def trainer_config(cfg: DictConfig, role: str = "model") -> dict:
    """Lightning settings of one role: the trainer group read with ``model`` set to that
    role's node (so ``trainer.max_epochs: ${model.max_epochs}`` gives each role its own),
    then the role's own ``trainer`` overrides (``+student.trainer.precision=bf16-mixed``)."""
    node = model_node(cfg, role)
    if role == "model":
        trainer = cfg.trainer
    else:
        view = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        view.model = group_config(node)
        trainer = view.trainer
    check_trainer_keys("trainer", trainer.keys())
    settings = {k: v for k, v in group_config(trainer).items() if k not in NOT_SETTINGS}
    return {**settings, **group_config(node.get("trainer"))}


def check_settings(cfg: DictConfig) -> None:
    """Every model role and the trainer the job has, instantiated: unknown keys fail here.

    Only train.py jobs (a ``method``) train models: project.py ignores the ``model`` and
    ``trainer`` nodes a shared override file such as ``+debug=tiny`` gives it."""
    if not all(isinstance(cfg.get(key), DictConfig) for key in ("method", "model")):
        return
    for role in ROLES:
        if isinstance(cfg.get(role), DictConfig):
            model_settings(cfg, role)
    if isinstance(cfg.get("trainer"), DictConfig):
        build(cfg.trainer)
